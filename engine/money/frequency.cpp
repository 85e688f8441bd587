#include "engine/money/frequency.h"

#include <functional>

namespace vetrina::engine {
namespace {

struct Buckets {
  int32_t hour, day, week;
};

Buckets BucketsAt(absl::Time now) {
  const int64_t seconds = absl::ToUnixSeconds(now);
  const int64_t hour = seconds / 3600;
  const int64_t day = hour / 24;
  return {static_cast<int32_t>(hour), static_cast<int32_t>(day),
          static_cast<int32_t>((day + 3) / 7)};  // 1970-01-01 was a Thursday
}

}  // namespace

FrequencyStore::Key FrequencyStore::KeyOf(uint64_t user, std::string_view campaign_id) {
  // FNV-1a, stable across builds: the keys are saved in the spend journal's snapshots.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : campaign_id) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return {user, h};
}

bool FrequencyStore::Allows(uint64_t user, const Campaign& campaign, absl::Time now) const {
  if (user == 0 || campaign.frequency_caps.empty()) return true;
  const Key key = KeyOf(user, campaign.id);
  const Shard& shard = ShardOf(key);
  Counts counts;
  {
    std::shared_lock lock(shard.mu);
    auto it = shard.counts.find(key);
    if (it == shard.counts.end()) return true;
    counts = it->second;
  }
  const Buckets now_buckets = BucketsAt(now);
  for (const FrequencyCap& cap : campaign.frequency_caps) {
    uint32_t seen = 0;
    switch (cap.per) {
      case CapPeriod::kHour:
        seen = counts.hour == now_buckets.hour ? counts.in_hour : 0;
        break;
      case CapPeriod::kDay:
        seen = counts.day == now_buckets.day ? counts.in_day : 0;
        break;
      case CapPeriod::kWeek:
        seen = counts.week == now_buckets.week ? counts.in_week : 0;
        break;
    }
    if (seen >= static_cast<uint32_t>(cap.max)) return false;
  }
  return true;
}

void FrequencyStore::Record(uint64_t user, std::string_view campaign_id, absl::Time now) {
  if (user == 0) return;
  const Key key = KeyOf(user, campaign_id);
  const Buckets b = BucketsAt(now);
  Shard& shard = ShardOf(key);
  std::unique_lock lock(shard.mu);
  Counts& c = shard.counts[key];
  // A late notice for an earlier bucket counts toward the current one: never less capping.
  if (c.hour != b.hour) c.hour = b.hour, c.in_hour = 0;
  if (c.day != b.day) c.day = b.day, c.in_day = 0;
  if (c.week != b.week) c.week = b.week, c.in_week = 0;
  ++c.in_hour;
  ++c.in_day;
  ++c.in_week;
}

void FrequencyStore::Restore(const Entry& e) {
  const Key key{e.user, e.campaign};
  Shard& shard = ShardOf(key);
  std::unique_lock lock(shard.mu);
  shard.counts[key] = Counts{e.hour, e.day, e.week, e.in_hour, e.in_day, e.in_week};
}

size_t FrequencyStore::Sweep(absl::Time now) {
  const int32_t week = BucketsAt(now).week;
  size_t dropped = 0;
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mu);
    dropped +=
        absl::erase_if(shard.counts, [&](const auto& entry) { return entry.second.week < week; });
  }
  return dropped;
}

size_t FrequencyStore::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::unique_lock lock(shard.mu);
    n += shard.counts.size();
  }
  return n;
}

}  // namespace vetrina::engine
