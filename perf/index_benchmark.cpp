// Campaign matching at 10k, 100k and 1M synthetic campaigns: the targeting index against the
// brute-force scan it replaces, with per-request percentiles; index rebuild time and memory.
//
//   build/perf/index_benchmark                       # everything (1M takes a while)
//   build/perf/index_benchmark --benchmark_filter=100000
//
// Counters: p50_us/p99_us are per-request latencies of EligibleCampaigns (index lookup plus the
// exact check of each candidate); candidates and eligible are per-request averages.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "engine/auction.h"
#include "engine/campaign_snapshot.h"
#include "engine/synthetic.h"

namespace vetrina::engine {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

struct World {
  std::vector<CampaignPtr> campaigns;
  std::unique_ptr<CampaignSnapshot> snapshot;
  std::vector<BidRequest> requests;
  std::vector<std::vector<std::string>> segments;
};

const World& GetWorld(size_t n) {
  static std::map<size_t, std::unique_ptr<World>> worlds;
  auto& w = worlds[n];
  if (!w) {
    w = std::make_unique<World>();
    SyntheticWorld gen(n);
    w->campaigns.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      w->campaigns.push_back(std::make_shared<const Campaign>(gen.MakeCampaign(i)));
    }
    w->snapshot = std::make_unique<CampaignSnapshot>(w->campaigns);
    for (int i = 0; i < 2000; ++i) {
      w->requests.push_back(gen.Request());
      w->segments.push_back(gen.UserSegments());
    }
  }
  return *w;
}

void Match(benchmark::State& state, bool use_index) {
  const World& w = GetWorld(static_cast<size_t>(state.range(0)));
  TargetingIndex::Scratch scratch;
  std::vector<double> latencies_us;
  size_t i = 0, eligible = 0, candidates = 0;
  std::vector<uint32_t> ids;
  for (auto _ : state) {
    const size_t r = i++ % w.requests.size();
    const auto start = std::chrono::steady_clock::now();
    AuctionContext context{.now = kNow, .segments = &w.segments[r], .use_index = use_index,
                           .scratch = &scratch};
    const RequestFacts facts = MakeRequestFacts(w.requests[r], kNow, &w.segments[r]);
    std::vector<const Campaign*> found =
        EligibleCampaigns(w.requests[r], *w.snapshot, facts, context, nullptr);
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(found);
    eligible += found.size();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    if (use_index && latencies_us.size() <= 2000) {
      w.snapshot->Candidates(facts, &scratch, &ids);
      candidates += ids.size();
    }
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    return latencies_us[std::min(latencies_us.size() - 1,
                                 static_cast<size_t>(p * latencies_us.size()))];
  };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["p999_us"] = pct(0.999);
  state.counters["eligible"] = static_cast<double>(eligible) / latencies_us.size();
  if (use_index) {
    state.counters["candidates"] =
        static_cast<double>(candidates) / std::min<size_t>(latencies_us.size(), 2000);
  }
}

void BM_MatchIndex(benchmark::State& state) { Match(state, true); }
void BM_MatchScan(benchmark::State& state) { Match(state, false); }
BENCHMARK(BM_MatchIndex)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatchScan)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(2);

// Building a snapshot (index included) from shared campaigns, as the publisher does.
void BM_Rebuild(benchmark::State& state) {
  const World& w = GetWorld(static_cast<size_t>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    CampaignSnapshot snapshot(w.campaigns);
    bytes = snapshot.index().MemoryBytes();
    benchmark::DoNotOptimize(snapshot);
  }
  state.counters["index_MiB"] = static_cast<double>(bytes) / (1 << 20);
}
BENCHMARK(BM_Rebuild)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace vetrina::engine

BENCHMARK_MAIN();
