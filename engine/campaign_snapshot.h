// An immutable set of campaigns with their targeting index, as published to the bid path. Built
// off the hot path; never changed after construction, so any number of threads may read it.
// Campaigns are shared (immutable) between successive snapshots, so a rebuild copies pointers,
// not campaigns.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/campaign.h"
#include "engine/targeting_index.h"

namespace vetrina::engine {

using CampaignPtr = std::shared_ptr<const Campaign>;

// Thread-safe (immutable).
class CampaignSnapshot {
 public:
  CampaignSnapshot() = default;
  // Orders the campaigns by id (the auction's deterministic tie-break) and indexes the active ones.
  explicit CampaignSnapshot(std::vector<CampaignPtr> campaigns);
  explicit CampaignSnapshot(std::vector<Campaign> campaigns);

  size_t size() const { return campaigns_.size(); }
  const Campaign& campaign(uint32_t i) const { return *campaigns_[i]; }
  const std::vector<CampaignPtr>& campaigns() const { return campaigns_; }
  // nullptr when absent.
  const Campaign* Find(std::string_view id) const;

  // Ids (positions) of the campaigns whose indexed targeting `facts` may satisfy: a superset of
  // the matches, to be confirmed by CheckCampaign.
  void Candidates(const RequestFacts& facts, TargetingIndex::Scratch* scratch,
                  std::vector<uint32_t>* ids) const {
    index_.Candidates(facts, scratch, ids);
  }
  const TargetingIndex& index() const { return index_; }

 private:
  std::vector<CampaignPtr> campaigns_;
  TargetingIndex index_;
};

}  // namespace vetrina::engine
