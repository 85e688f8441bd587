// Money is integer micro-units of a currency end to end: 1 USD = 1'000'000 micros. Prices in
// OpenRTB are CPM (per thousand impressions) decimals; they become micros at the edge, once.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

namespace vetrina::engine {

using Micros = int64_t;

inline constexpr Micros kMicrosPerUnit = 1'000'000;
// The smallest price step of a second-price auction: one cent.
inline constexpr Micros kOneCent = 10'000;
// Larger amounts are rejected at the edge; far above any real CPM and far from overflow.
inline constexpr double kMaxUnits = 1e9;

// Converts a decimal amount (e.g. a CPM of 1.25) to micros, rounding to nearest. Returns nullopt
// for NaN, infinities, negative values and values above kMaxUnits.
inline std::optional<Micros> MicrosFromUnits(double units) {
  if (!std::isfinite(units) || units < 0 || units > kMaxUnits) return std::nullopt;
  return static_cast<Micros>(std::llround(units * kMicrosPerUnit));
}

// What one impression may cost at a CPM price, rounded up: what a bid reserves.
inline constexpr Micros ImpressionCost(Micros cpm) { return (cpm + 999) / 1000; }
// What one impression is charged at a CPM price, rounded down (in the advertiser's favour), so
// never more than ImpressionCost reserved for the same price.
inline constexpr Micros ImpressionCharge(Micros cpm) { return cpm / 1000; }

inline double UnitsFromMicros(Micros micros) {
  return static_cast<double>(micros) / kMicrosPerUnit;
}

// The CTR a new creative starts from, and how much evidence that assumption is worth: the
// auction ranks CPC bids at it without a CTR model, and the model starts every creative there.
struct CtrPrior {
  int64_t ctr_ppm = 10'000;  // 1%
  int64_t weight = 100;      // worth this many impressions: Beta(ctr x weight, (1 - ctr) x weight)
};

}  // namespace vetrina::engine
