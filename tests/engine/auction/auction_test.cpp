#include "engine/auction/auction.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;
using testing::kNow;
using testing::WithImpCopies;

TEST_CASE("the highest eCPM wins and a second-price auction charges the runner-up plus a cent") {
  CampaignSet snapshot({BannerCampaign("a", 2 * kDollar), BannerCampaign("b", 3 * kDollar),
                        BannerCampaign("c", kDollar)});
  BidRequest request = BannerRequest({320, 50}, kDollar / 2);
  request.auction_type = 2;
  AuctionResult result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].campaign->id == "b");
  CHECK(result.bids[0].max_price == 3 * kDollar);
  CHECK(result.bids[0].clearing_price == 2 * kDollar + kOneCent);
  CHECK(result.imp_reasons[0] == NoBidReason::kNone);
}

TEST_CASE("a first-price auction charges the winner's bid") {
  CampaignSet snapshot({BannerCampaign("a", 2 * kDollar), BannerCampaign("b", 3 * kDollar)});
  BidRequest request = BannerRequest();
  request.auction_type = 1;
  AuctionResult result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].clearing_price == 3 * kDollar);
}

TEST_CASE("second price with a lone bidder clears at the floor plus a cent") {
  CampaignSet snapshot({BannerCampaign("a", 2 * kDollar)});
  AuctionResult result = RunAuction(BannerRequest({320, 50}, kDollar), snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].clearing_price == kDollar + kOneCent);
}

TEST_CASE("the clearing price never exceeds the winner's bid") {
  CHECK(ClearingPrice(2, kDollar, kDollar, 0) == kDollar);
  CHECK(ClearingPrice(2, kDollar, 0, kDollar) == kDollar);
  CHECK(ClearingPrice(2, 5 * kDollar, kDollar, 2 * kDollar) == 2 * kDollar + kOneCent);
  CHECK(ClearingPrice(1, 5 * kDollar, kDollar, 2 * kDollar) == 5 * kDollar);
}

TEST_CASE("a campaign below the floor does not bid, and the reason says so") {
  CampaignSet snapshot({BannerCampaign("a", kDollar)});
  AuctionResult result = RunAuction(BannerRequest({320, 50}, 2 * kDollar), snapshot, kNow);
  CHECK(result.bids.empty());
  CHECK(result.imp_reasons[0] == NoBidReason::kBelowFloor);
  CHECK(result.RequestReason() == NoBidReason::kBelowFloor);
}

TEST_CASE("a bid exactly at the floor is allowed") {
  CampaignSet snapshot({BannerCampaign("a", kDollar)});
  AuctionResult result = RunAuction(BannerRequest({320, 50}, kDollar), snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].clearing_price == kDollar);
}

TEST_CASE("ties go to the lowest campaign id, whatever the input order") {
  CampaignSet snapshot({BannerCampaign("zeta", kDollar), BannerCampaign("alpha", kDollar),
                        BannerCampaign("mid", kDollar)});
  for (int i = 0; i < 3; ++i) {
    AuctionResult result = RunAuction(BannerRequest(), snapshot, kNow);
    REQUIRE(result.bids.size() == 1);
    CHECK(result.bids[0].campaign->id == "alpha");
    CHECK(result.bids[0].clearing_price == kDollar);  // runner-up ties: min(bid, bid + 1c)
  }
}

TEST_CASE("each imp gets its own winner; imps nobody fits report why") {
  CampaignSet snapshot({BannerCampaign("small", kDollar, {320, 50}),
                        BannerCampaign("big", 2 * kDollar, {300, 250})});
  BidRequest request = BannerRequest({320, 50});
  Imp mrec = request.imps[0];
  mrec.id = "2";
  mrec.banner->sizes = {{300, 250}};
  Imp leaderboard = request.imps[0];
  leaderboard.id = "3";
  leaderboard.banner->sizes = {{728, 90}};
  request.imps.push_back(mrec);
  request.imps.push_back(leaderboard);
  AuctionResult result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 2);
  CHECK(result.bids[0].imp_index == 0);
  CHECK(result.bids[0].campaign->id == "small");
  CHECK(result.bids[1].imp_index == 1);
  CHECK(result.bids[1].campaign->id == "big");
  CHECK(result.imp_reasons[2] == NoBidReason::kNoMatchingCreative);
}

TEST_CASE("a request that accepts no USD gets no bid") {
  CampaignSet snapshot({BannerCampaign("a", kDollar)});
  BidRequest request = BannerRequest();
  request.currencies = {"EUR"};
  AuctionResult result = RunAuction(request, snapshot, kNow);
  CHECK(result.bids.empty());
  CHECK(result.RequestReason() == NoBidReason::kUnsupportedCurrency);
  request.currencies = {"EUR", "USD"};
  CHECK(RunAuction(request, snapshot, kNow).bids.size() == 1);
}

TEST_CASE("a floor in another currency means no bid on that imp only") {
  CampaignSet snapshot({BannerCampaign("a", kDollar)});
  BidRequest request = BannerRequest();
  request.imps.push_back(request.imps[0]);
  request.imps[1].id = "2";
  request.imps[1].bid_floor_currency = "EUR";
  AuctionResult result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].imp_index == 0);
  CHECK(result.imp_reasons[1] == NoBidReason::kUnsupportedCurrency);
}

TEST_CASE("a secure imp gets no bid when notices cannot be served over https") {
  CampaignSet snapshot({BannerCampaign("a", kDollar)});
  BidRequest request = BannerRequest();
  request.imps.push_back(request.imps[0]);
  request.imps[1].id = "2";
  request.imps[1].secure = true;
  AuctionResult result = RunAuction(request, snapshot, AuctionContext{.now = kNow});
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].imp_index == 0);
  CHECK(result.imp_reasons[1] == NoBidReason::kNoSecureNotices);
  CHECK(NoBidReasonName(NoBidReason::kNoSecureNotices) == "no_secure_notices");

  result = RunAuction(request, snapshot, AuctionContext{.now = kNow, .https_notices = true});
  CHECK(result.bids.size() == 2);
}

TEST_CASE("no campaigns at all is its own reason") {
  CampaignSet empty;
  AuctionResult result = RunAuction(BannerRequest(), empty, kNow);
  CHECK(result.bids.empty());
  CHECK(result.RequestReason() == NoBidReason::kNoCampaigns);
}

TEST_CASE("blocked categories, advertisers and apps keep a campaign out") {
  Campaign c = BannerCampaign("a", kDollar);
  c.categories = {"IAB25-3"};
  c.app_bundle = "com.adv.game";
  CampaignSet snapshot({c});

  BidRequest request = BannerRequest();
  request.bcat = {"IAB25"};
  CHECK(RunAuction(request, snapshot, kNow).RequestReason() == NoBidReason::kBlockedCategory);
  request.bcat = {"IAB2"};  // a different tier-1 category with a shared prefix
  CHECK(RunAuction(request, snapshot, kNow).bids.size() == 1);

  request = BannerRequest();
  request.badv = {"a.example"};
  CHECK(RunAuction(request, snapshot, kNow).RequestReason() == NoBidReason::kBlockedAdvertiser);

  request = BannerRequest();
  request.bapp = {"com.adv.game"};
  CHECK(RunAuction(request, snapshot, kNow).RequestReason() == NoBidReason::kBlockedApp);
}

TEST_CASE("a blocked winner lets the next campaign win") {
  Campaign rich = BannerCampaign("rich", 5 * kDollar);
  rich.adomain = {"blocked.example"};
  CampaignSet snapshot({rich, BannerCampaign("modest", kDollar)});
  BidRequest request = BannerRequest();
  request.badv = {"blocked.example"};
  AuctionResult result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].campaign->id == "modest");
}

TEST_CASE("one request's bids are bounded per response and per campaign, in imp order") {
  CampaignSet snapshot({BannerCampaign("a", 3 * kDollar), BannerCampaign("b", 2 * kDollar),
                        BannerCampaign("c", kDollar)});
  const BidRequest request = WithImpCopies(BannerRequest(), 6);
  auto winners = [&](size_t max_bids, size_t per_campaign) {
    const AuctionResult result = RunAuction(
        request, snapshot,
        AuctionContext{.now = kNow, .max_bids = max_bids, .max_bids_per_campaign = per_campaign});
    std::string ids;
    for (const Bid& bid : result.bids) ids += bid.campaign->id;
    for (size_t i = result.bids.size(); i < request.imps.size(); ++i) {
      CHECK(result.imp_reasons[i] == NoBidReason::kRequestLimit);
    }
    return ids;
  };
  // Unbounded, the best campaign wins every imp.
  CHECK(winners(SIZE_MAX, SIZE_MAX) == "aaaaaa");
  // A capped campaign's imps go to the next best one, which is then capped in turn.
  CHECK(winners(SIZE_MAX, 2) == "aabbcc");
  CHECK(winners(SIZE_MAX, 1) == "abc");
  CHECK(winners(4, 2) == "aabb");
  CHECK(winners(3, SIZE_MAX) == "aaa");
  // A capped campaign sets no price for the others: the next one clears at its own bid.
  const AuctionResult capped =
      RunAuction(request, snapshot, AuctionContext{.now = kNow, .max_bids_per_campaign = 1});
  REQUIRE(capped.bids.size() == 3);
  CHECK(capped.bids[1].clearing_price == 2 * kDollar);
}

}  // namespace
}  // namespace vetrina::engine

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;
using testing::kNow;

Campaign WithDsaInfo(Campaign c, int adrender) {
  c.dsa = DsaInfo{.behalf = "Advertiser", .paid = "Advertiser", .adrender = adrender};
  return c;
}

TEST_CASE("DSA required: a campaign without DSA information loses to one with it") {
  // The richer campaign has no DSA information; the poorer one does and wins.
  CampaignSet snapshot(
      {BannerCampaign("rich", 3 * kDollar), WithDsaInfo(BannerCampaign("dsa", kDollar), 1)});
  BidRequest request = BannerRequest();
  request.regs.dsa = DsaSignal{.required = 2, .pubrender = 0};
  AuctionResult result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].campaign->id == "dsa");
  // Without the DSA signal the richer one wins.
  request.regs.dsa.reset();
  result = RunAuction(request, snapshot, kNow);
  REQUIRE(result.bids.size() == 1);
  CHECK(result.bids[0].campaign->id == "rich");
}

TEST_CASE("DSA required and nobody renders: no bid, and the reason says which rule") {
  BidRequest request = BannerRequest();
  request.regs.dsa = DsaSignal{.required = 3, .pubrender = 0};
  CampaignSet missing({BannerCampaign("a", kDollar)});
  CHECK(RunAuction(request, missing, kNow).imp_reasons[0] == NoBidReason::kDsaMissing);
  CampaignSet conflict({WithDsaInfo(BannerCampaign("a", kDollar), 0)});
  CHECK(RunAuction(request, conflict, kNow).imp_reasons[0] == NoBidReason::kDsaRenderConflict);
}

TEST_CASE("explain names the DSA and political-ad rules per campaign") {
  const Campaign plain = BannerCampaign("plain", kDollar);
  const Campaign with_dsa = WithDsaInfo(BannerCampaign("with-dsa", kDollar), 1);
  Campaign political = WithDsaInfo(BannerCampaign("vote", kDollar), 1);
  political.political = true;
  BidRequest request = BannerRequest();
  request.regs.dsa = DsaSignal{.required = 2};
  const RequestFacts facts = MakeRequestFacts(request, kNow, nullptr);
  const AuctionContext context{.now = kNow};
  CHECK(ExplainCampaign(plain, request, facts, context).imp_reasons ==
        std::vector<NoBidReason>{NoBidReason::kDsaMissing});
  CHECK(ExplainCampaign(with_dsa, request, facts, context).imp_reasons ==
        std::vector<NoBidReason>{NoBidReason::kNone});
  // regs.ext.dsa puts the request in the EU's scope: no transparency notice, no bid.
  CHECK(ExplainCampaign(political, request, facts, context).imp_reasons ==
        std::vector<NoBidReason>{NoBidReason::kPoliticalAdEu});
  political.political_transparency =
      PoliticalTransparency{.sponsor = "Citizens for Parks", .notice_url = "https://p.example/n"};
  CHECK(ExplainCampaign(political, request, facts, context).imp_reasons ==
        std::vector<NoBidReason>{NoBidReason::kNone});
}

TEST_CASE("a campaign requiring authorised supply bids only on authorised supply") {
  Campaign requiring = testing::BannerCampaign("requiring", 3 * kDollar);
  requiring.require_authorised_supply = true;
  Campaign plain = testing::BannerCampaign("plain", 2 * kDollar);
  const BidRequest request = testing::BannerRequest();

  CampaignSet only_requiring({requiring});
  AuctionContext context{.now = kNow, .authorised_supply = false};
  AuctionResult refused = RunAuction(request, only_requiring, context);
  CHECK(refused.bids.empty());
  CHECK(refused.RequestReason() == NoBidReason::kUnauthorisedSupply);
  CHECK(NoBidReasonName(refused.RequestReason()) == "unauthorised_supply");
  CHECK(ExplainCampaign(requiring, request, MakeRequestFacts(request, kNow, nullptr), context)
            .reason == NoBidReason::kUnauthorisedSupply);

  context.authorised_supply = true;
  AuctionResult bid = RunAuction(request, only_requiring, context);
  REQUIRE(bid.bids.size() == 1);
  CHECK(bid.bids[0].campaign->id == "requiring");

  // A campaign that does not ask is unaffected, and wins where the other may not bid.
  CampaignSet both({requiring, plain});
  context.authorised_supply = false;
  AuctionResult mixed = RunAuction(request, both, context);
  REQUIRE(mixed.bids.size() == 1);
  CHECK(mixed.bids[0].campaign->id == "plain");
}

}  // namespace
}  // namespace vetrina::engine
