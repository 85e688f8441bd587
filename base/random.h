// Randomness as a dependency: a small, fast generator (SplitMix64) that callers seed, so tests
// fix the seed and get the same draws. Not thread-safe: one per thread.
//
//   Rng rng(seed);
//   if (rng.Bernoulli(0.25)) ...
#pragma once

#include <cstdint>

namespace vetrina {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

}  // namespace vetrina
