#include "engine/money/ctr_model.h"

#include <algorithm>

#include "engine/core/campaign.h"

namespace vetrina::engine {
namespace {

// FNV-1a, 64-bit: stable across processes, so compacted counts keep their keys after a restart.
uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

uint64_t CtrModel::KeyOf(std::string_view campaign, std::string_view creative,
                         std::string_view app) {
  uint64_t h = 0xcbf29ce484222325ULL;
  h = Fnv1a(h, campaign);
  h = Fnv1a(h ^ 0xff, creative);  // separators, so ("ab","c") and ("a","bc") differ
  return Fnv1a(h ^ 0xfe, app);
}

int64_t CtrModel::Predict(std::string_view campaign, std::string_view creative,
                          std::string_view app) const {
  const CtrCounts c = Counts(campaign, creative, app);
  const uint64_t clicks = std::min(c.clicks, c.impressions);  // clicks whose imp never came
  const __int128 numerator = static_cast<__int128>(clicks) * 1'000'000 +
                             static_cast<__int128>(prior_.ctr_ppm) * prior_.weight;
  const __int128 denominator = static_cast<__int128>(c.impressions) + prior_.weight;
  return std::clamp<int64_t>(static_cast<int64_t>(numerator / denominator), 1, kMaxPredictedCtrPpm);
}

CtrCounts CtrModel::Counts(std::string_view campaign, std::string_view creative,
                           std::string_view app) const {
  const uint64_t key = KeyOf(campaign, creative, app);
  const Shard& shard = ShardOf(key);
  std::shared_lock lock(shard.mu);
  auto it = shard.counts.find(key);
  return it == shard.counts.end() ? CtrCounts{} : it->second;
}

void CtrModel::RecordImpression(std::string_view campaign, std::string_view creative,
                                std::string_view app, uint64_t n) {
  const uint64_t key = KeyOf(campaign, creative, app);
  Shard& shard = ShardOf(key);
  std::unique_lock lock(shard.mu);
  shard.counts[key].impressions += n;
}

void CtrModel::RecordClick(std::string_view campaign, std::string_view creative,
                           std::string_view app, uint64_t n) {
  const uint64_t key = KeyOf(campaign, creative, app);
  Shard& shard = ShardOf(key);
  std::unique_lock lock(shard.mu);
  shard.counts[key].clicks += n;
}

void CtrModel::Restore(uint64_t key, const CtrCounts& counts) {
  Shard& shard = ShardOf(key);
  std::unique_lock lock(shard.mu);
  CtrCounts& c = shard.counts[key];
  c.impressions += counts.impressions;
  c.clicks += counts.clicks;
}

}  // namespace vetrina::engine
