// The audience store at 1M and 10M users (3 memberships each): lookups per second on one core,
// lookup latency percentiles while a writer applies 100k updates per second, and bytes per user.
//
//   build/perf/audience_benchmark
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "engine/audience/audience_store.h"

namespace vetrina::engine {
namespace {

constexpr Day kToday = 20'000;

struct Population {
  EpochDomain domain;
  std::unique_ptr<AudienceStore> store;
  std::vector<AudienceKey> keys;
};

AudienceKey RandomKey(std::mt19937_64& rng) { return AudienceKey{rng(), rng()}; }

Population& GetPopulation(size_t users) {
  static std::map<size_t, std::unique_ptr<Population>> populations;
  auto& p = populations[users];
  if (!p) {
    p = std::make_unique<Population>();
    p->store = std::make_unique<AudienceStore>(p->domain, 1);
    std::mt19937_64 rng(users);
    p->keys.reserve(users);
    for (size_t done = 0; done < users;) {
      std::vector<AudienceUpdate> batch;
      const size_t n = std::min<size_t>(1'000'000, users - done);
      batch.reserve(n * 3);
      for (size_t i = 0; i < n; ++i) {
        const AudienceKey key = RandomKey(rng);
        p->keys.push_back(key);
        for (int s = 0; s < 3; ++s) {
          batch.push_back({key, static_cast<SegmentId>(rng() % 100'000), kToday + 30});
        }
      }
      p->store->Apply(std::move(batch), kToday);
      done += n;
    }
  }
  return *p;
}

void BM_Lookup(benchmark::State& state) {
  Population& p = GetPopulation(static_cast<size_t>(state.range(0)));
  EpochDomain::Reader reader(p.domain);
  std::mt19937_64 rng(1);
  std::vector<SegmentId> out;
  size_t found = 0;
  for (auto _ : state) {
    // Half hits, half misses, as in real traffic where many users have no audiences.
    const AudienceKey key = (rng() & 1) ? p.keys[rng() % p.keys.size()] : RandomKey(rng);
    out.clear();
    EpochDomain::ReadGuard guard(reader);
    p.store->Lookup(guard, key, kToday, &out);
    found += out.size();
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_user"] =
      static_cast<double>(p.store->MemoryBytes()) / static_cast<double>(p.store->users());
  state.counters["bytes_per_user_minus_4_per_membership"] =
      (static_cast<double>(p.store->MemoryBytes()) - 4.0 * p.store->memberships()) /
      static_cast<double>(p.store->users());
}
BENCHMARK(BM_Lookup)->Arg(1'000'000)->Arg(10'000'000);

// 64 keys per call through LookupBatch: what a bidder thread can sustain when it looks up the
// keys of many requests, or all keys of one request, together. The keys (half of them stored
// users, half unknown) are drawn before the timing starts, 4M of them, read in order: pausing
// the timers around each batch's draw would add the timers' own clock reads to every batch.
void BM_LookupBatch(benchmark::State& state) {
  Population& p = GetPopulation(static_cast<size_t>(state.range(0)));
  EpochDomain::Reader reader(p.domain);
  constexpr size_t kBatch = 64;
  constexpr size_t kStream = size_t{1} << 22;
  std::vector<AudienceKey> stream(kStream);
  std::mt19937_64 rng(1);
  for (AudienceKey& k : stream) {
    k = (rng() & 1) ? p.keys[rng() % p.keys.size()] : RandomKey(rng);
  }
  std::vector<std::vector<SegmentId>> out(kBatch);
  size_t found = 0;
  size_t next = 0;
  for (auto _ : state) {
    EpochDomain::ReadGuard guard(reader);
    p.store->LookupBatch(guard, stream.data() + next, kBatch, kToday, out.data());
    for (const auto& o : out) found += o.size();
    next = (next + kBatch) % kStream;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_LookupBatch)->Arg(1'000'000)->Arg(10'000'000);

// Lookup latency while another thread applies 100k updates per second in 10 batches.
void BM_LookupUnderWrites(benchmark::State& state) {
  Population& p = GetPopulation(static_cast<size_t>(state.range(0)));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> applied{0};
  std::thread writer([&] {
    std::mt19937_64 rng(9);
    auto next = std::chrono::steady_clock::now();
    while (!stop) {
      std::vector<AudienceUpdate> batch;
      for (int i = 0; i < 10'000; ++i) {
        batch.push_back({p.keys[rng() % p.keys.size()], static_cast<SegmentId>(rng() % 100'000),
                         kToday + 30, (rng() % 4) == 0});
      }
      p.store->Apply(std::move(batch), kToday);
      applied += 10'000;
      next += std::chrono::milliseconds(100);
      std::this_thread::sleep_until(next);
    }
  });
  EpochDomain::Reader reader(p.domain);
  std::mt19937_64 rng(2);
  std::vector<SegmentId> out;
  std::vector<double> ns;
  ns.reserve(1 << 22);
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const AudienceKey key = p.keys[rng() % p.keys.size()];
    out.clear();
    const auto t0 = std::chrono::steady_clock::now();
    {
      EpochDomain::ReadGuard guard(reader);
      p.store->Lookup(guard, key, kToday, &out);
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity())
      ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  stop = true;
  writer.join();
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = ns[ns.size() / 2];
  state.counters["p99_ns"] = ns[ns.size() * 99 / 100];
  state.counters["p999_ns"] = ns[ns.size() * 999 / 1000];
  state.counters["updates_per_s"] = static_cast<double>(applied.load()) / seconds;
}
BENCHMARK(BM_LookupUnderWrites)->Arg(10'000'000)->MinTime(5)->UseRealTime();

}  // namespace
}  // namespace vetrina::engine

BENCHMARK_MAIN();
