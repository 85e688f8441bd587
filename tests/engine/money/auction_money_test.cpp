// The auction's money rules: CPC ranking, floors and currencies, deals, seats, advertiser app
// blocklists, and the policy's budget, pacing and cap decisions.
#include <catch2/catch.hpp>

#include "absl/container/flat_hash_set.h"
#include "engine/auction/auction.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;
using testing::kNow;

Campaign CpcCampaign(std::string id, Micros max_cpc) {
  Campaign c = BannerCampaign(std::move(id), 0);
  c.strategy = BidStrategy::kCpc;
  c.max_bid_cpc = max_cpc;
  return c;
}

// A policy with fixed answers: CTRs per campaign, and campaigns refused with a reason.
class FixedPolicy : public BidPolicy {
 public:
  NoBidReason Admit(const Campaign& c) override {
    ++admitted;
    auto it = refuse.find(c.id);
    return it == refuse.end() ? NoBidReason::kNone : it->second;
  }
  int64_t PredictCtrPpm(const Campaign& c, const Creative&) override {
    auto it = ctr.find(c.id);
    return it == ctr.end() ? 10'000 : it->second;
  }
  std::map<std::string, NoBidReason> refuse;
  std::map<std::string, int64_t> ctr;
  int admitted = 0;
};

AuctionResult Run(const BidRequest& request, const CampaignSet& set, BidPolicy* policy = nullptr,
                  const MarketRules* market = nullptr, bool use_index = true) {
  return RunAuction(
      request, set,
      AuctionContext{.now = kNow, .use_index = use_index, .market = market, .policy = policy});
}

TEST_CASE("CPC bids rank by max CPC x predicted CTR x 1000 and pay per click") {
  CampaignSet set({CpcCampaign("cpc", kDollar), BannerCampaign("cpm", 5 * kDollar)});
  BidRequest request = BannerRequest();
  FixedPolicy policy;
  policy.ctr["cpc"] = 10'000;  // 1%: eCPM 10.00
  for (bool use_index : {true, false}) {
    AuctionResult r = Run(request, set, &policy, nullptr, use_index);
    REQUIRE(r.bids.size() == 1);
    CHECK(r.bids[0].campaign->id == "cpc");
    CHECK(r.bids[0].max_price == 10 * kDollar);
    CHECK(r.bids[0].clearing_price == 5 * kDollar + kOneCent);
    CHECK(r.bids[0].ctr_ppm == 10'000);
    // The same money per impression, over 1% of clicks: 0.501 per click.
    CHECK(r.bids[0].click_price == 501'000);
  }
  policy.ctr["cpc"] = 1'000;  // 0.1%: eCPM 1.00, below the CPM bid
  AuctionResult r = Run(request, set, &policy);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].campaign->id == "cpm");
  CHECK(r.bids[0].clearing_price == kDollar + kOneCent);
  CHECK(r.bids[0].click_price == 0);
}

TEST_CASE("a CPC campaign ranked high by its cap does not hide a better CPM bid") {
  // Rank bid of the CPC campaign: 0.5 x 10% x 1000 = 50; its real eCPM at 0.1%: 0.50.
  CampaignSet set({CpcCampaign("cpc", kDollar / 2), BannerCampaign("cpm-3", 3 * kDollar),
                   BannerCampaign("cpm-2", 2 * kDollar)});
  FixedPolicy policy;
  policy.ctr["cpc"] = 1'000;
  AuctionResult r = Run(BannerRequest(), set, &policy);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].campaign->id == "cpm-3");
  CHECK(r.bids[0].clearing_price == 2 * kDollar + kOneCent);
}

TEST_CASE("floors in other currencies convert with the rate table; no rate, no bid") {
  MarketRules market;
  market.currencies = *CurrencyTable::Create({{"EUR", 500'000}});  // 0.5 EUR per USD
  CampaignSet set({BannerCampaign("a", 3 * kDollar)});
  BidRequest request = BannerRequest();
  request.imps[0].bid_floor = 1'600'000;  // 1.60 EUR = 3.20 USD
  request.imps[0].bid_floor_currency = "EUR";
  AuctionResult r = Run(request, set, nullptr, &market);
  CHECK(r.bids.empty());
  CHECK(r.imp_reasons[0] == NoBidReason::kBelowFloor);
  request.imps[0].bid_floor = 1'400'000;  // 2.80 USD
  r = Run(request, set, nullptr, &market);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].clearing_price == 2'810'000);
  request.imps[0].bid_floor_currency = "JPY";
  r = Run(request, set, nullptr, &market);
  CHECK(r.bids.empty());
  CHECK(r.imp_reasons[0] == NoBidReason::kUnsupportedCurrency);
}

TEST_CASE("a request that wants another currency gets its prices in it") {
  MarketRules market;
  market.currencies = *CurrencyTable::Create({{"EUR", 920'000}});
  CampaignSet set({BannerCampaign("a", 2 * kDollar)});
  BidRequest request = BannerRequest();
  request.auction_type = 1;
  request.currencies = {"EUR"};
  AuctionResult r = Run(request, set, nullptr, &market);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.currency == "EUR");
  CHECK(r.rate_micros == 920'000);
  CHECK(r.bids[0].clearing_price == 2 * kDollar);
  CHECK(r.bids[0].price_in_currency == 1'840'000);
  request.currencies = {"GBP"};
  r = Run(request, set, nullptr, &market);
  CHECK(r.bids.empty());
  CHECK(r.imp_reasons[0] == NoBidReason::kUnsupportedCurrency);
}

TEST_CASE("the network's placement floor raises the imp's floor for open bids") {
  MarketRules market;
  market.placement_floors["com.example.app"][""] = 2 * kDollar;
  market.placement_floors["com.example.app"]["top"] = 4 * kDollar;
  CampaignSet set({BannerCampaign("a", 3 * kDollar)});
  BidRequest request = BannerRequest();
  AuctionResult r = Run(request, set, nullptr, &market);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].clearing_price == 2 * kDollar + kOneCent);
  request.imps[0].tag_id = "top";
  r = Run(request, set, nullptr, &market);
  CHECK(r.bids.empty());
  CHECK(r.imp_reasons[0] == NoBidReason::kBelowFloor);
}

BidRequest DealRequest() {
  BidRequest request = BannerRequest({320, 50}, kDollar);
  request.imps[0].deals.push_back(Deal{.id = "deal-a", .floor = 3 * kDollar, .wseat = {}});
  request.imps[0].deals.push_back(
      Deal{.id = "deal-fixed", .floor = 2 * kDollar, .auction_type = 3, .wseat = {}});
  request.imps[0].deals.push_back(
      Deal{.id = "deal-other-seat", .floor = 0, .wseat = {"someone-else"}});
  return request;
}

Campaign DealCampaign(std::string id, Micros bid, std::string deal) {
  Campaign c = BannerCampaign(std::move(id), bid);
  c.targeting.deal.include = {std::move(deal)};
  return c;
}

TEST_CASE("deal campaigns bid on their deal at the deal's floor and terms") {
  const BidRequest deals = DealRequest();  // bids point at its deals
  SECTION("the deal floor applies to deal bids, the imp floor to open bids (M+N)") {
    CampaignSet set({DealCampaign("d", 2'500'000, "deal-a"), BannerCampaign("open", 2 * kDollar)});
    AuctionResult r = Run(deals, set);
    REQUIRE(r.bids.size() == 1);
    CHECK(r.bids[0].campaign->id == "open");  // 2.50 is below deal-a's 3.00
    CHECK(r.bids[0].deal == nullptr);
    CampaignSet richer(
        {DealCampaign("d", 4 * kDollar, "deal-a"), BannerCampaign("open", 2 * kDollar)});
    r = Run(deals, richer);
    REQUIRE(r.bids.size() == 1);
    CHECK(r.bids[0].campaign->id == "d");
    REQUIRE(r.bids[0].deal != nullptr);
    CHECK(r.bids[0].deal->id == "deal-a");
    CHECK(r.bids[0].clearing_price == 3 * kDollar + kOneCent);  // max(runner-up, floor) + 0.01
  }
  SECTION("a fixed-price deal (at=3) clears at its price") {
    CampaignSet set({DealCampaign("f", 5 * kDollar, "deal-fixed")});
    AuctionResult r = Run(deals, set);
    REQUIRE(r.bids.size() == 1);
    CHECK(r.bids[0].clearing_price == 2 * kDollar);
  }
  SECTION("a fixed-price deal without a price cannot be bid on") {
    BidRequest free_deal = BannerRequest();
    free_deal.imps[0].deals.push_back(
        Deal{.id = "deal-free", .floor = 0, .auction_type = 3, .wseat = {}});
    CampaignSet set({DealCampaign("f", 5 * kDollar, "deal-free")});
    AuctionResult r = Run(free_deal, set);
    CHECK(r.bids.empty());
    CHECK(r.imp_reasons[0] == NoBidReason::kTargetingDeal);
  }
  SECTION("a deal whose wseat leaves us out cannot be bid on") {
    CampaignSet set({DealCampaign("o", 5 * kDollar, "deal-other-seat")});
    AuctionResult r = Run(deals, set);
    CHECK(r.bids.empty());
    CHECK(r.imp_reasons[0] == NoBidReason::kTargetingDeal);
  }
  SECTION("a private auction takes deal bids only") {
    BidRequest request = deals;
    request.imps[0].private_auction = true;
    CampaignSet set(
        {BannerCampaign("open", 9 * kDollar), DealCampaign("d", 4 * kDollar, "deal-a")});
    AuctionResult r = Run(request, set);
    REQUIRE(r.bids.size() == 1);
    CHECK(r.bids[0].campaign->id == "d");
    CampaignSet open_only({BannerCampaign("open", 9 * kDollar)});
    r = Run(request, open_only);
    CHECK(r.bids.empty());
    CHECK(r.imp_reasons[0] == NoBidReason::kPrivateAuction);
  }
}

TEST_CASE("wseat without our seat, or bseat with it, means no bid") {
  CampaignSet set({BannerCampaign("a", 2 * kDollar)});
  BidRequest request = BannerRequest();
  request.wseat = {"another-dsp"};
  CHECK(Run(request, set).imp_reasons[0] == NoBidReason::kBlockedSeat);
  request.wseat = {"another-dsp", "vetrina"};
  CHECK(Run(request, set).bids.size() == 1);
  request.bseat = {"vetrina"};
  CHECK(Run(request, set).imp_reasons[0] == NoBidReason::kBlockedSeat);
}

TEST_CASE("an advertiser's app blocklist keeps its campaigns off that app") {
  MarketRules market;
  market.blocked_apps["adv-a"].insert("com.example.app");
  CampaignSet set({BannerCampaign("a", 3 * kDollar), BannerCampaign("b", 2 * kDollar)});
  AuctionResult r = Run(BannerRequest(), set, nullptr, &market);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].campaign->id == "b");
  CampaignSet only_a({BannerCampaign("a", 3 * kDollar)});
  CHECK(Run(BannerRequest(), only_a, nullptr, &market).imp_reasons[0] == NoBidReason::kBlockedApp);
}

TEST_CASE("the policy's refusals pass the imp to the next campaign and name the reason") {
  CampaignSet set({BannerCampaign("a", 3 * kDollar), BannerCampaign("b", 2 * kDollar),
                   BannerCampaign("c", kDollar)});
  FixedPolicy policy;
  policy.refuse["a"] = NoBidReason::kBudgetExhausted;
  AuctionResult r = Run(BannerRequest(), set, &policy);
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].campaign->id == "b");
  CHECK(r.bids[0].clearing_price == kDollar + kOneCent);  // the runner-up is c, not a
  // Every candidate capped: the request's reason is the cap (OpenRTB nbr 9).
  policy.refuse = {{"a", NoBidReason::kFrequencyCapped},
                   {"b", NoBidReason::kFrequencyCapped},
                   {"c", NoBidReason::kFrequencyCapped}};
  r = Run(BannerRequest(), set, &policy);
  CHECK(r.bids.empty());
  CHECK(r.RequestReason() == NoBidReason::kFrequencyCapped);
  // One paced, the others capped: not every candidate was capped.
  policy.refuse["c"] = NoBidReason::kPaced;
  CHECK(Run(BannerRequest(), set, &policy).RequestReason() == NoBidReason::kPaced);
}

TEST_CASE("the policy is asked only about campaigns that would otherwise bid") {
  CampaignSet set({BannerCampaign("a", 3 * kDollar), BannerCampaign("b", 2 * kDollar),
                   BannerCampaign("small", 300'000, {728, 90}), BannerCampaign("c", kDollar),
                   BannerCampaign("d", kDollar / 2)});
  FixedPolicy policy;
  Run(BannerRequest(), set, &policy);
  CHECK(policy.admitted == 2);  // a wins, b sets the price; c and d are never considered
}

TEST_CASE("child-directed inventory takes only campaigns that opted in, without sensitive ads") {
  Campaign toys = BannerCampaign("toys", kDollar);
  toys.child_directed = true;
  toys.categories = {"IAB9-30"};
  Campaign beer = BannerCampaign("beer", 3 * kDollar);
  beer.child_directed = true;
  beer.categories = {"IAB8-5"};
  CampaignSet set({toys, beer, BannerCampaign("adults", 2 * kDollar)});
  AuctionResult r =
      RunAuction(BannerRequest(), set, AuctionContext{.now = kNow, .child_directed = true});
  REQUIRE(r.bids.size() == 1);
  CHECK(r.bids[0].campaign->id == "toys");
  CampaignSet no_safe({beer});
  r = RunAuction(BannerRequest(), no_safe, AuctionContext{.now = kNow, .child_directed = true});
  CHECK(r.imp_reasons[0] == NoBidReason::kNotChildSafe);
  // Off child-directed inventory the highest bid wins as usual.
  CHECK(RunAuction(BannerRequest(), set, kNow).bids[0].campaign->id == "beer");
}

TEST_CASE("currency tables validate codes and round against us") {
  CHECK_FALSE(CurrencyTable::Create({{"eur", 900'000}}).ok());
  CHECK_FALSE(CurrencyTable::Create({{"EUR", 0}}).ok());
  CHECK_FALSE(CurrencyTable::Create({{"USD", 2'000'000}}).ok());
  const CurrencyTable t = *CurrencyTable::Create({{"JPY", 150'000'000}, {"USD", 1'000'000}});
  CHECK(t.ToUsd(1, "JPY") == 1);  // rounds up: a floor is never undercut
  CHECK(t.FromUsd(1, "JPY") == 150);
  CHECK(t.FromUsd(999, "XXX") == std::nullopt);
  CHECK(t.ToUsd(150'000'000, "JPY") == 1'000'000);
}

}  // namespace
}  // namespace vetrina::engine
