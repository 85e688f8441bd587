// An immutable set of campaigns with their targeting index, as published to the bid path. Built
// off the hot path; never changed after construction, so any number of threads may read it.
// Campaigns are shared (immutable) between successive snapshots, so a rebuild copies pointers,
// not campaigns.
//
// Campaigns are kept in rank order: highest rank bid (RankBid) first, ties by lower campaign id
// (the auction's tie-break). The auction walks the request's matches in that order and stops as
// soon as it has its winner and runner-up.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "engine/core/campaign.h"
#include "engine/core/no_bid_reason.h"
#include "engine/targeting/bitmap_index.h"

namespace vetrina::engine {

using CampaignPtr = std::shared_ptr<const Campaign>;

// Rank order: higher rank bid first, ties by lower campaign id (the auction's tie-break).
inline bool RanksBefore(const Campaign& a, const Campaign& b) {
  if (RankBid(a) != RankBid(b)) return RankBid(a) > RankBid(b);
  return a.id < b.id;
}

// Thread-safe (immutable).
class CampaignSnapshot {
 public:
  // Per-thread buffers for matching. Not thread-safe.
  struct Scratch {
    BitmapIndex::Scratch index;
    Bitset matches;
  };

  CampaignSnapshot() = default;
  explicit CampaignSnapshot(std::vector<CampaignPtr> campaigns);
  explicit CampaignSnapshot(std::vector<Campaign> campaigns);

  size_t size() const { return campaigns_.size(); }
  // The campaign at `rank` (0 = highest bid).
  const Campaign& campaign(uint32_t rank) const { return *campaigns_[rank]; }
  const std::vector<CampaignPtr>& campaigns() const { return campaigns_; }
  // nullptr when absent.
  const Campaign* Find(std::string_view id) const;
  // The rank of campaign `id`, or nullopt.
  std::optional<uint32_t> RankOf(std::string_view id) const;

  // Sets scratch->matches to the ranks of the active campaigns whose indexed targeting `facts`
  // satisfy (exact for every indexed dimension).
  void Match(const RequestFacts& facts, Scratch* scratch) const;

  // The rules the index does not cover, checked from compact per-campaign data: flight dates,
  // OS version ranges and all-of audiences, and the request's block lists. For a rank that
  // Match returned, kNone here means CheckCampaign would say kNone.
  NoBidReason CheckResidual(uint32_t rank, const BidRequest& request, const RequestFacts& facts,
                            absl::Time now, uint64_t request_block_signature) const;

  // A Bloom signature of the request's bcat/badv/bapp entries for CheckResidual.
  static uint64_t BlockSignature(const BidRequest& request);

  const BitmapIndex& index() const { return index_; }

 private:
  // What the index leaves to check, for the few campaigns that need more than the index and the
  // block signature: flight dates, OS version ranges, all-of audiences.
  struct Residual {
    int64_t start_ns = INT64_MIN;  // flight window [start, end) in Unix nanoseconds
    int64_t end_ns = INT64_MAX;
    uint64_t min_version = 0;  // OS version range, packed (PackVersion)
    uint64_t max_version = UINT64_MAX;
    bool has_version_range = false;
    bool check_targeting = false;  // all-of audiences, or a version that does not pack
  };

  std::vector<CampaignPtr> campaigns_;
  // Per rank, hot data first: whether Residual applies, and the Bloom signature of the
  // campaign's categories (with their parents), adomain and app bundle.
  Bitset has_residual_;
  std::vector<uint64_t> block_signatures_;
  std::vector<Residual> residuals_;
  absl::flat_hash_map<std::string, uint32_t> rank_by_id_;
  BitmapIndex index_;
};

}  // namespace vetrina::engine
