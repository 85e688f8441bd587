// The in-process bid path, stage by stage and whole: parse the OpenRTB 2.6 mobile fixture, run
// the auction over the demo campaigns, write the response. BM_FullBidPath does everything the
// bid handler does for the fixture against 10k synthetic campaigns and 1M users with audience
// memberships, through the same engine::BidPipeline: parse, minimise, privacy decision, user
// lookup, money policy, auction, reservation, signing, write; p50/p99 per request.
//
//   build/perf/bid_path_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "adapters/campaigns/campaign_json.h"
#include "adapters/openrtb/request_parser.h"
#include "adapters/openrtb/response_writer.h"
#include "engine/auction/auction.h"
#include "engine/audience/audience.h"
#include "engine/audience/audience_key.h"
#include "engine/audience/audience_store.h"
#include "engine/pipeline/bid_pipeline.h"
#include "engine/privacy/privacy.h"
#include "engine/testing/synthetic.h"
#include "perf/percentiles.h"

namespace vetrina {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& MobileFixture() {
  static const std::string text =
      ReadFile(std::string(VETRINA_FIXTURES_DIR) + "/openrtb/iab/bid-request-2.6-mobile.json");
  return text;
}

const engine::CampaignSet& DemoCampaigns() {
  static const engine::CampaignSet snapshot = [] {
    auto campaigns =
        campaigns::LoadCampaignDirectory(std::string(VETRINA_SOURCE_DIR) + "/schemas/examples");
    return engine::CampaignSet(campaigns.ok() ? *std::move(campaigns)
                                              : std::vector<engine::Campaign>{});
  }();
  return snapshot;
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

void BM_Parse(benchmark::State& state) {
  openrtb::BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  for (auto _ : state) {
    absl::Status s = parser.Parse(MobileFixture(), &request);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * MobileFixture().size());
}
BENCHMARK(BM_Parse);

void BM_Auction(benchmark::State& state) {
  openrtb::BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  if (!parser.Parse(MobileFixture(), &request).ok()) state.SkipWithError("fixture did not parse");
  for (auto _ : state) {
    engine::AuctionResult result = engine::RunAuction(request, DemoCampaigns(), kNow);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_Auction);

void BM_ParseAuctionWrite(benchmark::State& state) {
  openrtb::BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  std::string out;
  openrtb::ResponseOptions options;
  const std::vector<openrtb::SignedBid> signed_bids(8, {"id-1-0", "TOKEN", "AD"});
  for (auto _ : state) {
    out.clear();
    if (!parser.Parse(MobileFixture(), &request).ok()) state.SkipWithError("parse failed");
    engine::AuctionResult result = engine::RunAuction(request, DemoCampaigns(), kNow);
    if (!result.bids.empty()) {
      openrtb::WriteBidResponse(request, result, "id-1",
                                std::vector<openrtb::SignedBid>(
                                    signed_bids.begin(), signed_bids.begin() + result.bids.size()),
                                options, &out);
    }
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseAuctionWrite);

// 10k synthetic campaigns and 1M users, three audience memberships each; the fixture's user is
// one of them.
struct World {
  engine::EpochDomain domain;
  std::unique_ptr<engine::AudienceStore> store;
  engine::AudienceRegistry registry;
  std::unique_ptr<engine::CampaignSet> campaigns;
};

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    engine::SyntheticWorld gen(3);
    w->campaigns = std::make_unique<engine::CampaignSet>(gen.Campaigns(10'000));
    for (int i = 0; i < engine::SyntheticWorld::kSegments; ++i) {
      w->registry.names.push_back(engine::SyntheticWorld::SegmentName(i));
    }
    w->store = std::make_unique<engine::AudienceStore>(w->domain, 1);
    std::mt19937_64 rng(5);
    const engine::Day today = static_cast<engine::Day>(absl::ToUnixSeconds(kNow) / 86'400);
    std::vector<engine::AudienceUpdate> batch;
    auto add = [&](engine::AudienceKey key) {
      for (int s = 0; s < 3; ++s) {
        batch.push_back({key,
                         static_cast<engine::SegmentId>(rng() % engine::SyntheticWorld::kSegments),
                         today + 30});
      }
    };
    for (int i = 0; i < 1'000'000; ++i) add(engine::AudienceKey{rng(), rng()});
    openrtb::BidRequestParser parser(256 * 1024);
    engine::BidRequest fixture;
    if (parser.Parse(MobileFixture(), &fixture).ok()) {
      if (auto key = engine::KeyForId(fixture.device.ifa)) add(*key);
    }
    w->store->Apply(std::move(batch), today);
    return w;
  }();
  return *world;
}

void BM_FullBidPath(benchmark::State& state) {
  World& w = TheWorld();
  openrtb::BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  engine::EpochDomain::Reader reader(w.domain);
  ManualClock clock(kNow);
  engine::MoneyState money;
  const engine::MarketRules market;
  const HmacSha256Key notice_key("notice"), user_key("user");
  engine::BidPipeline pipeline({.notice_key = &notice_key, .user_key = &user_key}, clock, 0);
  std::string out;
  openrtb::ResponseOptions options;
  std::vector<double> latencies_us;
  size_t bids = 0, iterations = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    out.clear();
    if (!parser.Parse(MobileFixture(), &request).ok()) state.SkipWithError("parse failed");
    engine::EpochDomain::ReadGuard guard(reader);
    const engine::BidOutcome outcome =
        pipeline.Bid(&request,
                     engine::BidWorld{.guard = guard,
                                      .campaigns = *w.campaigns,
                                      .market = market,
                                      .audience_store = w.store.get(),
                                      .audience_registry = &w.registry,
                                      .money = money},
                     kNow);
    if (outcome.status == engine::BidOutcome::Status::kBid) {
      openrtb::WriteBidResponse(request, outcome.result, outcome.response_id,
                                pipeline.signed_bids(), options, &out);
    }
    bids += outcome.result.bids.size();
    benchmark::DoNotOptimize(out);
    const auto end = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    if (++iterations % 10'000 == 0) {
      // No notices come: release the reservations, as their timeout would, off the clock.
      state.PauseTiming();
      money.ledger.Expire(kNow + absl::Hours(1));
      state.ResumeTiming();
    }
  }
  perf::ReportPercentiles(state, &latencies_us);
  state.counters["bids_per_request"] = static_cast<double>(bids) / latencies_us.size();
}
BENCHMARK(BM_FullBidPath)->Iterations(200'000);

}  // namespace
}  // namespace vetrina

BENCHMARK_MAIN();
