// The campaigns the bid path reads: a large base snapshot, rebuilt rarely, plus a small delta
// snapshot of the campaigns changed since, rebuilt on every publish. A change then costs a
// rebuild proportional to what changed, not to the whole catalog, so bids keep their throughput
// while advertisers edit (perf/churn_bench.py). Immutable once built.
//
//   CampaignSet all(std::move(campaigns));                        // base only
//   CampaignSet next(base, changed_campaigns, replaced_or_deleted_ids);
//   next.Match(facts, &scratch);
//   next.ForEachEligible(scratch, request, facts, now, [&](const Campaign& c) { ...; return true;
//   });
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "engine/targeting/campaign_snapshot.h"

namespace vetrina::engine {

// Thread-safe (immutable).
class CampaignSet {
 public:
  // Per-thread buffers. Not thread-safe.
  struct Scratch {
    CampaignSnapshot::Scratch base;
    CampaignSnapshot::Scratch delta;
  };

  CampaignSet();
  explicit CampaignSet(std::vector<Campaign> campaigns);
  explicit CampaignSet(std::vector<CampaignPtr> campaigns);
  // `base` with the campaigns of ids in `removed` hidden and `changed` laid on top.
  CampaignSet(std::shared_ptr<const CampaignSnapshot> base, std::vector<CampaignPtr> changed,
              const std::vector<std::string>& removed);

  // Live campaigns.
  size_t size() const { return base_->size() - removed_count_ + delta_->size(); }
  size_t delta_size() const { return delta_->size(); }
  const std::shared_ptr<const CampaignSnapshot>& base() const { return base_; }
  // nullptr when absent.
  const Campaign* Find(std::string_view id) const;

  // Every live campaign in rank order while fn returns true.
  void ForEachCampaign(absl::FunctionRef<bool(const Campaign&)> fn) const;

  // Fills `scratch` with the campaigns whose indexed targeting `facts` satisfy (base matches may
  // include campaigns the delta hides; ForEachEligible skips them).
  void Match(const RequestFacts& facts, Scratch* scratch) const;

  // Calls fn for each matched campaign that passes the residual checks, in rank order, while fn
  // returns true. `*closest` (when given) is raised to the reason of each campaign the residual
  // checks exclude.
  void ForEachEligible(const Scratch& scratch, const BidRequest& request, const RequestFacts& facts,
                       absl::Time now, absl::FunctionRef<bool(const Campaign&)> fn,
                       NoBidReason* closest = nullptr) const;

 private:
  std::shared_ptr<const CampaignSnapshot> base_;
  std::shared_ptr<const CampaignSnapshot> delta_;
  Bitset removed_;  // base ranks hidden by the delta
  size_t removed_count_ = 0;
};

}  // namespace vetrina::engine
