// Predicted click-through rate per campaign x creative x app, learned from impression and click
// notices with a Beta prior: a new creative starts at the prior's CTR and moves toward its own
// record as impressions accumulate. Rates are integer parts per million, clamped to
// [1, kMaxPredictedCtrPpm] so a CPC campaign never bids above its rank bid.
//
//   CtrModel ctr;
//   int64_t ppm = ctr.Predict("c-1", "cr-1", "com.example.app");
//   ctr.RecordImpression("c-1", "cr-1", "com.example.app");
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "engine/core/money.h"

namespace vetrina::engine {

struct CtrCounts {
  uint64_t impressions = 0;
  uint64_t clicks = 0;
};

// Thread-safe.
class CtrModel {
 public:
  explicit CtrModel(CtrPrior prior = {}) : prior_(prior) {}

  int64_t Predict(std::string_view campaign, std::string_view creative, std::string_view app) const;
  void RecordImpression(std::string_view campaign, std::string_view creative, std::string_view app,
                        uint64_t n = 1);
  void RecordClick(std::string_view campaign, std::string_view creative, std::string_view app,
                   uint64_t n = 1);
  CtrCounts Counts(std::string_view campaign, std::string_view creative,
                   std::string_view app) const;
  // Every key's counts, for the journal's compaction.
  template <typename Fn>  // void(uint64_t key, const CtrCounts&)
  void ForEach(Fn fn) const {
    for (const Shard& shard : shards_) {
      std::unique_lock lock(shard.mu);
      for (const auto& [key, counts] : shard.counts) fn(key, counts);
    }
  }
  // Restores counts saved by ForEach.
  void Restore(uint64_t key, const CtrCounts& counts);
  // Forgets every count (before a shared log is replayed from its start).
  void Clear() {
    for (Shard& shard : shards_) {
      std::unique_lock lock(shard.mu);
      shard.counts.clear();
    }
  }
  static uint64_t KeyOf(std::string_view campaign, std::string_view creative, std::string_view app);

 private:
  struct Shard {
    mutable std::shared_mutex mu;
    absl::flat_hash_map<uint64_t, CtrCounts> counts;
  };
  static constexpr size_t kShards = 16;
  Shard& ShardOf(uint64_t key) { return shards_[key % kShards]; }
  const Shard& ShardOf(uint64_t key) const { return shards_[key % kShards]; }

  const CtrPrior prior_;
  std::array<Shard, kShards> shards_;
};

}  // namespace vetrina::engine
