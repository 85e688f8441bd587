#include "perf/loadgen/histogram.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

namespace vetrina::loadgen {
namespace {

TEST_CASE("every value lands in a bucket whose bounds hold it, within 1/64") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = rng() >> (rng() % 40 + 24);  // spread over many magnitudes
    const size_t bucket = LatencyHistogram::Index(v);
    REQUIRE(static_cast<uint64_t>(LatencyHistogram::UpperBound(bucket)) >= v);
    if (bucket > 0) REQUIRE(static_cast<uint64_t>(LatencyHistogram::UpperBound(bucket - 1)) < v);
    REQUIRE(static_cast<double>(LatencyHistogram::UpperBound(bucket) - v) <= v / 64.0 + 1);
  }
}

TEST_CASE("percentiles match the sorted values within the resolution") {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> latency(11.0, 1.0);  // ~60 µs median, long tail
  LatencyHistogram h;
  std::vector<int64_t> values;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<int64_t>(latency(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const int64_t exact = values[static_cast<size_t>(p / 100 * values.size()) - 1];
    const int64_t got = h.Percentile(p);
    INFO(p);
    CHECK(got >= exact);
    CHECK(got <= exact + exact / 32 + 1);
  }
  CHECK(h.Percentile(100) == values.back());
  CHECK(h.max() == values.back());
  CHECK(h.count() == values.size());
}

TEST_CASE("merging histograms adds their counts") {
  LatencyHistogram a, b;
  for (int i = 1; i <= 100; ++i) a.Record(i * 1000);
  for (int i = 101; i <= 200; ++i) b.Record(i * 1000);
  a.Merge(b);
  CHECK(a.count() == 200);
  CHECK(a.max() == 200'000);
  CHECK(a.min() == 1000);
  CHECK(a.Percentile(50) >= 100'000);
  CHECK(a.Percentile(50) <= 102'000);
}

}  // namespace
}  // namespace vetrina::loadgen
