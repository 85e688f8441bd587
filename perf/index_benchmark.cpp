// Campaign matching at 10k, 100k and 1M synthetic campaigns: the bitmap index the bid path uses,
// the Whang et al. boolean-expression index, and the brute-force scan they replace, with
// per-request percentiles; snapshot rebuild time and index memory.
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

#include "engine/auction/auction.h"
#include "engine/targeting/campaign_snapshot.h"
#include "engine/testing/synthetic.h"
#include "engine/testing/targeting_index.h"
#include "perf/percentiles.h"

namespace vetrina::engine {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

struct World {
  std::vector<CampaignPtr> campaigns;
  std::unique_ptr<CampaignSet> snapshot;
  std::unique_ptr<TargetingIndex> whang;  // over the campaigns in rank order
  std::vector<const Campaign*> by_rank;
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
    w->snapshot = std::make_unique<CampaignSet>(w->campaigns);
    std::vector<const Targeting*> targetings;
    w->snapshot->ForEachCampaign([&](const Campaign& c) {
      targetings.push_back(&c.targeting);
      w->by_rank.push_back(&c);
      return true;
    });
    w->whang = std::make_unique<TargetingIndex>(targetings);
    for (int i = 0; i < 2000; ++i) {
      w->requests.push_back(gen.Request());
      w->segments.push_back(gen.UserSegments());
    }
  }
  return *w;
}

using perf::ReportPercentiles;

enum class Method { kBitmap, kWhang, kScan };

void Match(benchmark::State& state, Method method) {
  const World& w = GetWorld(static_cast<size_t>(state.range(0)));
  CampaignSet::Scratch scratch;
  TargetingIndex::Scratch whang_scratch;
  std::vector<uint32_t> ids;
  std::vector<double> latencies_us;
  size_t i = 0, eligible = 0;
  for (auto _ : state) {
    const size_t r = i++ % w.requests.size();
    const auto start = std::chrono::steady_clock::now();
    const RequestFacts facts = MakeRequestFacts(w.requests[r], kNow, &w.segments[r]);
    std::vector<const Campaign*> found;
    if (method == Method::kWhang) {
      // Candidates from the index, each confirmed by the exact check.
      w.whang->Candidates(facts, &whang_scratch, &ids);
      for (uint32_t id : ids) {
        const Campaign& c = *w.by_rank[id];
        if (CheckCampaign(c, w.requests[r], facts, kNow) == NoBidReason::kNone) found.push_back(&c);
      }
    } else {
      AuctionContext context{.now = kNow,
                             .segments = &w.segments[r],
                             .use_index = method == Method::kBitmap,
                             .scratch = &scratch};
      found = EligibleCampaigns(w.requests[r], *w.snapshot, facts, context, nullptr);
    }
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(found);
    eligible += found.size();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  ReportPercentiles(state, &latencies_us);
  state.counters["eligible"] = static_cast<double>(eligible) / latencies_us.size();
}

// A whole auction (match, residual checks, creative fit, ranking) per request.
void BM_Auction(benchmark::State& state) {
  const World& w = GetWorld(static_cast<size_t>(state.range(0)));
  CampaignSet::Scratch scratch;
  std::vector<double> latencies_us;
  size_t i = 0, bids = 0;
  for (auto _ : state) {
    const size_t r = i++ % w.requests.size();
    const auto start = std::chrono::steady_clock::now();
    AuctionResult result =
        RunAuction(w.requests[r], *w.snapshot,
                   AuctionContext{.now = kNow, .segments = &w.segments[r], .scratch = &scratch});
    const auto end = std::chrono::steady_clock::now();
    bids += result.bids.size();
    benchmark::DoNotOptimize(result);
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  ReportPercentiles(state, &latencies_us);
  state.counters["bid_rate"] = static_cast<double>(bids) / latencies_us.size();
}

// The index alone: the bitset of campaigns whose indexed targeting the request satisfies.
void BM_IndexOnly(benchmark::State& state) {
  const World& w = GetWorld(static_cast<size_t>(state.range(0)));
  CampaignSet::Scratch scratch;
  std::vector<double> latencies_us;
  size_t i = 0, matches = 0;
  for (auto _ : state) {
    const size_t r = i++ % w.requests.size();
    const auto start = std::chrono::steady_clock::now();
    const RequestFacts facts = MakeRequestFacts(w.requests[r], kNow, &w.segments[r]);
    w.snapshot->Match(facts, &scratch);
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(scratch.base.matches);
    if (latencies_us.size() < 2000) matches += scratch.base.matches.Count();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  ReportPercentiles(state, &latencies_us);
  state.counters["matches"] =
      static_cast<double>(matches) / std::min<size_t>(latencies_us.size(), 2000);
}
BENCHMARK(BM_IndexOnly)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

void BM_MatchBitmap(benchmark::State& state) { Match(state, Method::kBitmap); }
void BM_MatchWhang(benchmark::State& state) { Match(state, Method::kWhang); }
void BM_MatchScan(benchmark::State& state) { Match(state, Method::kScan); }
BENCHMARK(BM_MatchBitmap)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatchWhang)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatchScan)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Auction)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

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
