// Frequency caps: impressions per user and campaign in the current calendar hour, day and week
// (UTC; weeks start on Monday). Users are keyed by a keyed hash of their ifa, ifv or user id
// (never the id itself), so the store holds no personal data. In memory: the counts of a
// crashed process start again from zero.
//
//   FrequencyStore caps;
//   if (!caps.Allows(user, campaign, now)) -> no bid (kFrequencyCapped)
//   caps.Record(user, campaign.id, now);  // on an impression notice
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "engine/core/campaign.h"

namespace vetrina::engine {

// Thread-safe.
class FrequencyStore {
 public:
  // Whether `user` may see one more impression of `campaign` at `now`. True for user 0 (unknown)
  // and for campaigns without caps.
  bool Allows(uint64_t user, const Campaign& campaign, absl::Time now) const;
  // Counts one impression of `campaign_id` for `user` at `now`. Ignores user 0.
  void Record(uint64_t user, std::string_view campaign_id, absl::Time now);
  // Drops the counts of past weeks; returns how many entries went.
  size_t Sweep(absl::Time now);
  size_t size() const;

  // Every entry, for the journal's compaction, and its replay.
  struct Entry {
    uint64_t user = 0;
    uint64_t campaign = 0;  // hash of the campaign id
    int32_t hour = -1, day = -1, week = -1;
    uint32_t in_hour = 0, in_day = 0, in_week = 0;
  };
  template <typename Fn>  // void(const Entry&)
  void ForEach(Fn fn) const {
    for (const Shard& shard : shards_) {
      std::unique_lock lock(shard.mu);
      for (const auto& [key, c] : shard.counts) {
        fn(Entry{key.first, key.second, c.hour, c.day, c.week, c.in_hour, c.in_day, c.in_week});
      }
    }
  }
  void Restore(const Entry& entry);
  // Forgets every count (before a shared log is replayed from its start).
  void Clear() {
    for (Shard& shard : shards_) {
      std::unique_lock lock(shard.mu);
      shard.counts.clear();
    }
  }

 private:
  struct Counts {
    int32_t hour = -1, day = -1, week = -1;  // the buckets the counts below belong to
    uint32_t in_hour = 0, in_day = 0, in_week = 0;
  };
  using Key = std::pair<uint64_t, uint64_t>;  // user, campaign id hash
  struct Shard {
    mutable std::shared_mutex mu;
    absl::flat_hash_map<Key, Counts> counts;
  };
  static constexpr size_t kShards = 64;
  static Key KeyOf(uint64_t user, std::string_view campaign_id);
  Shard& ShardOf(const Key& key) { return shards_[key.first % kShards]; }
  const Shard& ShardOf(const Key& key) const { return shards_[key.first % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace vetrina::engine
