// What a SKAdNetwork answer costs the bid path: one ECDSA P-256 / SHA-256 signature over Apple's
// message, computed whole (BM_SkadnSign/0) or with a (k⁻¹, r) pair precomputed off the bid path
// (BM_SkadnSign/1, the pool refilled between timed iterations); p50/p99 per signature. Target:
// ≤ 20 µs p99. BM_SkadnAnswer: the whole answer of a 4.0 bid (the decision, two fidelities each
// with a nonce, a timestamp and a pooled signature).
//
//   build/perf/skadn_benchmark
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "adapters/skadn/signer.h"
#include "perf/percentiles.h"

namespace vetrina {
namespace {

std::unique_ptr<skadn::Signer> TestSigner() {
  auto signer = skadn::Signer::FromPemFile(VETRINA_FIXTURES_DIR "/skadnetwork/test-key.pem");
  if (!signer.ok()) std::abort();
  return std::move(*signer);
}

engine::SkadnAttribution Attribution() {
  return {.version = engine::SkadnVersion::k4_0,
          .network = "example123.skadnetwork",
          .campaign_or_source = "4321",
          .itunes_item = "123456789",
          .source_app = "880047117"};
}

void BM_SkadnSign(benchmark::State& state) {
  const bool pooled = state.range(0) == 1;
  auto signer = TestSigner();
  const std::string message =
      engine::SkadnSignedMessage(Attribution(), engine::SkadnFidelity::kStoreKitRendered,
                                 "473b1a16-b4ef-43ad-9591-fcf3aefa82a7", "1594406341232");
  std::vector<double> latencies_us;
  latencies_us.reserve(state.max_iterations);
  for (auto _ : state) {
    if (pooled && signer->pooled() == 0) {
      state.PauseTiming();
      signer->Refill(1000, 1000);
      state.ResumeTiming();
    }
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(pooled ? signer->Sign(message) : signer->SignWithoutPool(message));
    const auto end = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  perf::ReportPercentiles(state, &latencies_us);
}
BENCHMARK(BM_SkadnSign)->Arg(0)->Arg(1)->Iterations(20'000);

void BM_SkadnAnswer(benchmark::State& state) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  skadn::RandomNonceSource nonces;
  skadn::Signing signing("example123.skadnetwork", TestSigner(), clock, nonces);
  engine::BidRequest request;
  request.device.os = "ios";
  engine::Imp& imp = request.imps.emplace_back();
  imp.skadn = engine::SkadnRequest{.versions = {"2.2", "3.0", "4.0"},
                                   .source_app = "880047117",
                                   .network_ids = {"example123.skadnetwork"}};
  engine::Campaign campaign;
  campaign.itunes_item = "123456789";
  campaign.skadn_campaign = 45;
  campaign.skadn_source_identifier = 4321;
  std::vector<double> latencies_us;
  latencies_us.reserve(state.max_iterations);
  for (auto _ : state) {
    if (signing.signer().pooled() < 2) {
      state.PauseTiming();
      signing.signer().Refill(1000, 1000);
      state.ResumeTiming();
    }
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(signing.Answer(request, request.imps[0], campaign));
    const auto end = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  perf::ReportPercentiles(state, &latencies_us);
}
BENCHMARK(BM_SkadnAnswer)->Iterations(10'000);

// The nonce's share of an answer: one random version 4 UUID from OpenSSL's CSPRNG.
void BM_SkadnNonce(benchmark::State& state) {
  skadn::RandomNonceSource nonces;
  for (auto _ : state) benchmark::DoNotOptimize(nonces.NextUuid());
}
BENCHMARK(BM_SkadnNonce);

}  // namespace
}  // namespace vetrina

BENCHMARK_MAIN();
