// Synthetic campaigns and bid requests with realistic skew (Zipf-distributed countries, apps,
// segments), for the randomized index test, the benchmarks and the load generator. Deterministic
// for a given seed.
//
//   SyntheticWorld world(/*seed=*/42);
//   std::vector<Campaign> campaigns = world.Campaigns(100'000);
//   BidRequest request = world.Request();
//   std::vector<std::string> segments = world.UserSegments();
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"

namespace vetrina::engine {

// Not thread-safe.
class SyntheticWorld {
 public:
  explicit SyntheticWorld(uint64_t seed);

  std::vector<Campaign> Campaigns(size_t count);
  Campaign MakeCampaign(size_t index);
  // An in-app request with one imp (banner, interstitial, rewarded video or native).
  BidRequest Request();
  // A user's segments (0-8 of them), sorted and unique.
  std::vector<std::string> UserSegments();

  static constexpr int kSegments = 2000;
  static std::string SegmentName(int i);

 private:
  // Zipf(s = 1) over [0, n).
  int Zipf(int n);
  bool Chance(double p);
  int Uniform(int lo, int hi);  // inclusive

  std::mt19937_64 rng_;
};

}  // namespace vetrina::engine
