// The OpenRTB 2.6 request parser, then the bid pipeline's every step (privacy, user keys,
// audiences, money, auction, reservation, signing) and explain, on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/openrtb/request_parser.h"
#include "engine/pipeline/bid_pipeline.h"

namespace {

using namespace vetrina;

engine::Campaign FuzzCampaign() {
  engine::Campaign c;
  c.id = "c";
  c.advertiser = "a";
  c.max_bid_cpm = 2'000'000;
  c.daily_budget = 100'000'000;
  c.frequency_caps = {{.max = 3, .per = engine::CapPeriod::kDay}};
  engine::Creative banner;
  banner.id = "b";
  banner.size = {320, 50};
  banner.markup = "<img>";
  c.creatives.push_back(banner);
  return c;
}

// The world every input bids in; built once.
struct FuzzWorld {
  ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::EpochDomain::Reader reader{epoch};
  engine::AudienceStore store{epoch, 1};
  engine::AudienceRegistry registry;
  engine::MarketRules market;
  engine::MoneyState money;
  HmacSha256Key notice_key{"notice"};
  HmacSha256Key user_key{"user"};
  engine::CampaignSet campaigns{std::vector<engine::Campaign>{FuzzCampaign()}};
  engine::BidPipeline pipeline{
      {.tcf_vendor_id = 32, .notice_key = &notice_key, .user_key = &user_key}, clock, 0};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static openrtb::BidRequestParser parser(256 * 1024);
  static FuzzWorld* world = new FuzzWorld;
  engine::BidRequest request;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (!parser.Parse(body, &request).ok()) return 0;
  engine::BidRequest explained = request;
  engine::EpochDomain::ReadGuard guard(world->reader);
  const engine::BidWorld view{.guard = guard,
                              .campaigns = world->campaigns,
                              .market = world->market,
                              .audience_store = &world->store,
                              .audience_registry = &world->registry,
                              .money = world->money};
  // received_at in the future: the deadline never passes, so every step runs.
  world->pipeline.Bid(&request, view, world->clock.Now() + absl::Hours(1));
  world->pipeline.Explain(
      &explained, view, [](const engine::Campaign&) { return true; }, 10);
  // Release what the bid reserved, so the budget never runs out across inputs.
  world->money.ledger.Expire(world->clock.Now() + absl::Hours(2));
  return 0;
}
