// Per-iteration latency percentiles as Google Benchmark counters.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

namespace vetrina::perf {

// Sets p50/p99/p99.9 counters (microseconds) from per-iteration latencies.
inline void ReportPercentiles(benchmark::State& state, std::vector<double>* latencies_us,
                              const char* prefix = "") {
  if (latencies_us->empty()) return;
  std::sort(latencies_us->begin(), latencies_us->end());
  auto pct = [&](double p) {
    return (*latencies_us)[std::min(latencies_us->size() - 1,
                                    static_cast<size_t>(p * latencies_us->size()))];
  };
  const std::string p(prefix);
  state.counters[p + "p50_us"] = pct(0.50);
  state.counters[p + "p99_us"] = pct(0.99);
  state.counters[p + "p999_us"] = pct(0.999);
}

}  // namespace vetrina::perf
