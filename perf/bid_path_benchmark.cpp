// The in-process bid path, stage by stage and whole: parse the OpenRTB 2.6 mobile fixture, run
// the auction over the demo campaigns, write the response.
//
//   build/perf/bid_path_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "adapters/campaigns/campaign_json.h"
#include "adapters/openrtb/request_parser.h"
#include "adapters/openrtb/response_writer.h"
#include "engine/auction.h"

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
  const std::vector<openrtb::SignedBid> signed_bids(8, {"id-1-0", "TOKEN"});
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

}  // namespace
}  // namespace vetrina

BENCHMARK_MAIN();
