// A log-linear latency histogram (HdrHistogram's layout, simplified): 64 linear sub-buckets per
// power of two, so any value is recorded within 1/64 (1.6%) of itself, from 1 ns to 2^40 ns, in
// 20 KiB. Recording is two shifts and an increment; histograms of several threads merge.
//
//   LatencyHistogram h;
//   h.Record(absl::ToInt64Nanoseconds(latency));
//   int64_t p99 = h.Percentile(99.0);
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace vetrina::loadgen {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;  // 64 sub-buckets
  static constexpr int kMaxExponent = 40;
  static constexpr size_t kBuckets = (kMaxExponent + 1) << kSubBits;

  void Record(int64_t ns) {
    if (ns < 0) ns = 0;
    ++counts_[Index(static_cast<uint64_t>(ns))];
    ++count_;
    max_ = std::max(max_, ns);
    min_ = count_ == 1 ? ns : std::min(min_, ns);
    sum_ += ns;
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    if (other.count_ > 0) {
      min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
      max_ = std::max(max_, other.max_);
    }
    count_ += other.count_;
    sum_ += other.sum_;
  }

  // The smallest recorded value v such that at least `percent`% of values are ≤ v, to within
  // the bucket's resolution (the bucket's upper bound, capped at the true maximum).
  int64_t Percentile(double percent) const {
    if (count_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(percent / 100.0 * static_cast<double>(count_) + 0.5));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min<int64_t>(UpperBound(i), max_);
    }
    return max_;
  }
  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return min_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }

  // Bucket index of a value: values below 64 map one to one; above, the exponent picks a block
  // of 64 and the next 6 bits below the top bit pick the sub-bucket.
  static size_t Index(uint64_t v) {
    if (v < (1u << kSubBits)) return v;
    const int top = std::bit_width(v) - 1;  // >= kSubBits
    const int exponent = std::min(top - kSubBits + 1, kMaxExponent);
    const uint64_t sub = (v >> (exponent - 1)) & ((1u << kSubBits) - 1);
    if (top - kSubBits + 1 > kMaxExponent) return kBuckets - 1;
    return (static_cast<size_t>(exponent) << kSubBits) + sub;
  }
  // The largest value that maps to bucket `i`.
  static int64_t UpperBound(size_t i) {
    const size_t exponent = i >> kSubBits;
    const uint64_t sub = i & ((1u << kSubBits) - 1);
    if (exponent == 0) return static_cast<int64_t>(sub);
    const uint64_t base = (uint64_t{1} << (kSubBits + exponent - 1)) + (sub << (exponent - 1));
    return static_cast<int64_t>(base + (uint64_t{1} << (exponent - 1)) - 1);
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
  int64_t min_ = 0;
  int64_t sum_ = 0;
};

}  // namespace vetrina::loadgen
