// The load generator's traffic: OpenRTB 2.6 bid requests built from templates (its own banner,
// interstitial, rewarded-video and native requests, plus any fixture files given), for users
// drawn from a Zipf distribution over a fixed population so audience lookups hit and miss as in
// production, with country, OS and app mixes and a share of privacy-restricted requests.
//
//   TrafficModel model({.users = 1'000'000, .restricted_share = 0.1}, /*seed=*/1);
//   std::string body = model.NextRequest(&rng);
//   std::string id = UserId(42);  // the 42nd user's IFA: what `vetrina-loadgen users` prints
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace vetrina::loadgen {

// The IFA of user `index`: a stable, UUID-shaped id, so a seeded audience and the traffic agree.
std::string UserId(uint64_t index);

// Zipf(s) over [0, n): rank 0 most frequent. Sampling inverts a precomputed CDF.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s);
  uint64_t Sample(std::mt19937_64& rng) const;
  uint64_t n() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

struct TrafficOptions {
  uint64_t users = 1'000'000;
  double zipf_s = 1.0;
  double restricted_share = 0.1;  // requests carrying a privacy signal (lmt, GDPR, US opt-out)
  std::vector<std::string> fixture_bodies;  // sent as they are (their ids renumbered)
  double fixture_share = 0.1;
  int tmax_ms = 120;  // the exchange's deadline, sent in each generated request
};

// Thread-compatible: one per thread (NextRequest mutates nothing shared).
class TrafficModel {
 public:
  explicit TrafficModel(TrafficOptions options);
  std::string NextRequest(std::mt19937_64& rng, uint64_t sequence) const;

 private:
  TrafficOptions options_;
  ZipfSampler users_;
};

}  // namespace vetrina::loadgen
