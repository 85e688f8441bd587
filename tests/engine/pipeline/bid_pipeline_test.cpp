#include "engine/pipeline/bid_pipeline.h"

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/money/notice_token.h"
#include "engine/money/spend_policy.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;
using testing::kNow;
using testing::WithImpCopies;

constexpr char kIfa[] = "6d92078a-8246-4ba4-ae5b-76104861e7dc";
const std::vector<std::string> kAudiences = {"adv/buyers", "adv/lapsed", "adv/visitors"};

// The world one case bids in: campaigns, a user's audiences, money. Fresh per case.
struct World {
  ManualClock clock{kNow};
  EpochDomain epoch;
  AudienceStore store{epoch, /*seed=*/42};
  AudienceRegistry registry;
  MoneyState money{absl::Seconds(60)};
  HmacSha256Key notice_key{"notice"};
  HmacSha256Key user_key{"user"};
  MarketRules market;
  std::unique_ptr<CampaignSet> campaigns;

  BidPipelineConfig Config() const { return {.notice_key = &notice_key, .user_key = &user_key}; }
  BidWorld View(const EpochDomain::ReadGuard& guard) {
    return BidWorld{.guard = guard,
                    .campaigns = *campaigns,
                    .market = market,
                    .audience_store = &store,
                    .audience_registry = &registry,
                    .money = money};
  }
  // Makes the user of kIfa a member of `names` (indexes into kAudiences).
  void Join(const std::vector<size_t>& names) {
    registry.names.assign(1, "");
    for (const std::string& name : kAudiences) registry.names.push_back(name);
    std::vector<AudienceUpdate> updates;
    for (size_t i : names) {
      updates.push_back({.key = *KeyForId(kIfa),
                         .segment = static_cast<SegmentId>(i + 1),
                         .expires = AudienceDay(kNow) + 30});
    }
    store.Apply(std::move(updates), AudienceDay(kNow));
  }
};

// One random case: a handful of campaigns, some targeting audiences, some with budgets already
// spent or a cap already reached, bidding on one banner with a random floor.
struct Case {
  std::vector<Campaign> campaigns;
  std::vector<size_t> user_audiences;
  std::vector<bool> spent;   // per campaign: its daily budget is used up
  std::vector<bool> capped;  // per campaign: the user has reached its cap
  Micros floor = 0;
};

Case RandomCase(std::mt19937& gen) {
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(gen); };
  Case c;
  const int n = std::uniform_int_distribution<int>(1, 6)(gen);
  for (int i = 0; i < n; ++i) {
    Campaign campaign = BannerCampaign(
        "c" + std::to_string(i), std::uniform_int_distribution<Micros>(1, 8)(gen) * kDollar / 2);
    campaign.advertiser = "adv";
    if (chance(0.5)) {
      campaign.targeting.audiences.any_of = {kAudiences[gen() % kAudiences.size()]};
    }
    if (chance(0.2)) campaign.targeting.audiences.exclude = {kAudiences[gen() % 3]};
    if (chance(0.5)) campaign.daily_budget = 50 * kDollar;
    if (chance(0.3)) campaign.frequency_caps = {{.max = 1, .per = CapPeriod::kDay}};
    c.spent.push_back(campaign.daily_budget > 0 && chance(0.4));
    c.capped.push_back(!campaign.frequency_caps.empty() && chance(0.5));
    c.campaigns.push_back(std::move(campaign));
  }
  for (size_t a = 0; a < kAudiences.size(); ++a) {
    if (chance(0.5)) c.user_audiences.push_back(a);
  }
  c.floor = std::uniform_int_distribution<Micros>(0, 3)(gen) * kDollar;
  return c;
}

BidRequest UserRequest(Micros floor) {
  BidRequest request = BannerRequest({320, 50}, floor);
  request.device.ifa = kIfa;
  request.tmax_ms = 0;  // the default deadline; the clock does not move
  return request;
}

void SetUp(const Case& c, const BidPipelineConfig& config, World* world) {
  world->campaigns = std::make_unique<CampaignSet>(c.campaigns);
  world->Join(c.user_audiences);
  const uint64_t user = FrequencyUserKey(*config.user_key, *KeyForId(kIfa));
  for (size_t i = 0; i < c.campaigns.size(); ++i) {
    const Campaign& campaign = c.campaigns[i];
    if (c.spent[i]) {
      world->money.ledger.Account(campaign.id).Restore(campaign.daily_budget, DayOf(kNow), kNow);
    }
    if (c.capped[i]) world->money.frequency.Record(user, campaign.id, kNow);
  }
}

TEST_CASE("explain's verdict agrees with the bid path over random campaign sets") {
  std::mt19937 gen(20261202);
  int bids = 0, audience_bids = 0, budget_verdicts = 0, cap_verdicts = 0;
  for (int round = 0; round < 400; ++round) {
    const Case c = RandomCase(gen);
    World world;
    SetUp(c, world.Config(), &world);
    BidPipeline pipeline(world.Config(), world.clock, /*worker=*/0);
    EpochDomain::Reader reader(world.epoch);
    EpochDomain::ReadGuard guard(reader);

    BidRequest explained = UserRequest(c.floor);
    const Explanation e = pipeline.Explain(
        &explained, world.View(guard), [](const Campaign&) { return true; }, 100);
    REQUIRE(e.campaigns.size() == c.campaigns.size());
    REQUIRE(e.known_user);
    // A dry run reserves nothing and creates no account.
    for (const Campaign& campaign : c.campaigns) {
      const CampaignAccount* account = world.money.ledger.FindAccount(campaign.id);
      if (account != nullptr) CHECK(account->State(kNow).daily_reserved == 0);
    }
    CHECK(world.money.ledger.open_reservations() == 0);

    BidRequest bid_request = UserRequest(c.floor);
    const BidOutcome outcome = pipeline.Bid(&bid_request, world.View(guard), kNow);
    REQUIRE(outcome.status != BidOutcome::Status::kTooLate);

    std::vector<std::string> would_bid;
    for (const CampaignExplanation& x : e.campaigns) {
      INFO("round " << round << " campaign " << x.campaign->id);
      const size_t i = std::stoul(x.campaign->id.substr(1));  // "c<i>"
      // The first rule that stops it: request level, else the imp's.
      const NoBidReason verdict = x.reason != NoBidReason::kNone ? x.reason : x.imp_reasons[0];
      if (verdict == NoBidReason::kNone) would_bid.push_back(x.campaign->id);
      if (verdict == NoBidReason::kBudgetExhausted) {
        CHECK(c.spent[i]);
        ++budget_verdicts;
      }
      if (verdict == NoBidReason::kFrequencyCapped) {
        CHECK(c.capped[i]);
        ++cap_verdicts;
      }
      if (c.spent[i] || c.capped[i]) CHECK(verdict != NoBidReason::kNone);
    }
    INFO("round " << round);
    // The bid path bids exactly when explain says some campaign would, and only with one of
    // those.
    REQUIRE((outcome.status == BidOutcome::Status::kBid) == !would_bid.empty());
    if (outcome.status == BidOutcome::Status::kBid) {
      ++bids;
      const Campaign& winner = *outcome.result.bids[0].campaign;
      CHECK(std::find(would_bid.begin(), would_bid.end(), winner.id) != would_bid.end());
      if (!winner.targeting.audiences.IsAny()) ++audience_bids;
      REQUIRE(pipeline.signed_bids().size() == 1);
      if (winner.daily_budget > 0) CHECK(world.money.ledger.open_reservations() == 1);
    }
  }
  // The cases covered what they were meant to.
  CHECK(bids > 50);
  CHECK(audience_bids > 10);
  CHECK(budget_verdicts > 10);
  CHECK(cap_verdicts > 10);
}

TEST_CASE("explain: an audience member with budget left would bid; spent, the budget rule") {
  World world;
  Campaign campaign = BannerCampaign("c1", 2 * kDollar);
  campaign.advertiser = "adv";
  campaign.targeting.audiences.any_of = {"adv/buyers"};
  campaign.daily_budget = 10 * kDollar;
  world.campaigns = std::make_unique<CampaignSet>(std::vector<Campaign>{campaign});
  world.Join({0});
  BidPipeline pipeline(world.Config(), world.clock, 0);
  EpochDomain::Reader reader(world.epoch);
  auto explain = [&] {
    EpochDomain::ReadGuard guard(reader);
    BidRequest request = UserRequest(0);
    Explanation e = pipeline.Explain(
        &request, world.View(guard), [](const Campaign&) { return true; }, 10);
    REQUIRE(e.campaigns.size() == 1);
    return e.campaigns[0];
  };

  const CampaignExplanation member = explain();
  CHECK(member.eligible());
  REQUIRE(member.reason == NoBidReason::kNone);
  CHECK(member.imp_reasons[0] == NoBidReason::kNone);

  world.money.ledger.Account("c1").Restore(10 * kDollar, DayOf(kNow), kNow);
  const CampaignExplanation spent = explain();
  CHECK_FALSE(spent.eligible());
  REQUIRE(spent.reason == NoBidReason::kNone);  // targeting passes; money stops it
  CHECK(spent.imp_reasons[0] == NoBidReason::kBudgetExhausted);

  // Someone outside the audience is excluded by targeting, whatever the budget.
  world.Join({1});
  EpochDomain::ReadGuard guard(reader);
  BidRequest stranger = UserRequest(0);
  stranger.device.ifa = "00000000-0000-0000-0000-000000000001";
  const Explanation e = pipeline.Explain(
      &stranger, world.View(guard), [](const Campaign&) { return true; }, 10);
  CHECK(e.campaigns[0].reason == NoBidReason::kTargetingAudience);
}

TEST_CASE("the bid path reserves and signs each bid; a request past its deadline is dropped") {
  World world;
  Campaign campaign = BannerCampaign("c1", 2 * kDollar);
  campaign.daily_budget = 10 * kDollar;
  world.campaigns = std::make_unique<CampaignSet>(std::vector<Campaign>{campaign});
  BidPipeline pipeline(world.Config(), world.clock, 3);
  EpochDomain::Reader reader(world.epoch);
  EpochDomain::ReadGuard guard(reader);

  BidRequest request = UserRequest(0);
  const BidOutcome outcome = pipeline.Bid(&request, world.View(guard), kNow);
  REQUIRE(outcome.status == BidOutcome::Status::kBid);
  REQUIRE(pipeline.signed_bids().size() == 1);
  const SignedBid& signed_bid = pipeline.signed_bids()[0];
  CHECK(world.money.ledger.open_reservations() == 1);
  CHECK(world.money.ledger.Account("c1").State(kNow).daily_reserved ==
        ImpressionCost(outcome.result.bids[0].clearing_price));
  absl::StatusOr<NoticeToken> token =
      VerifyNoticeToken(signed_bid.exchange_token, world.notice_key, kNow);
  REQUIRE(token.ok());
  CHECK(token->bid_id == signed_bid.id);
  CHECK(token->campaign_id == "c1");
  CHECK(token->scope == TokenScope::kExchange);
  CHECK(outcome.response_id != signed_bid.id);

  // Received 95 ms ago with the default 100 ms tmax and 10 ms margin: too late to answer.
  BidRequest late = UserRequest(0);
  CHECK(pipeline.Bid(&late, world.View(guard), kNow - absl::Milliseconds(95)).status ==
        BidOutcome::Status::kTooLate);
  CHECK(world.money.ledger.open_reservations() == 1);
}

TEST_CASE("privacy decides which ids reach audiences: without consent no user is known") {
  World world;
  Campaign campaign = BannerCampaign("c1", 2 * kDollar);
  campaign.advertiser = "adv";
  campaign.targeting.audiences.any_of = {"adv/buyers"};
  world.campaigns = std::make_unique<CampaignSet>(std::vector<Campaign>{campaign});
  world.Join({0});
  BidPipeline pipeline(world.Config(), world.clock, 0);
  EpochDomain::Reader reader(world.epoch);
  EpochDomain::ReadGuard guard(reader);

  BidRequest request = UserRequest(0);
  request.regs.coppa = 1;  // child-directed: no audiences at all
  const Explanation e = pipeline.Explain(
      &request, world.View(guard), [](const Campaign&) { return true; }, 10);
  CHECK_FALSE(e.privacy.audiences_allowed);
  CHECK_FALSE(e.known_user);
  BidRequest bid_request = UserRequest(0);
  bid_request.regs.coppa = 1;
  CHECK(pipeline.Bid(&bid_request, world.View(guard), kNow).status == BidOutcome::Status::kNoBid);
}

TEST_CASE("COPPA: a child-directed bid carries no frequency key; others carry the user's") {
  struct Row {
    std::string rule;
    bool coppa;
    std::string bundle;
    bool child;
  };
  const std::vector<Row> rows = {
      {"no signal: capped by the IFA", false, "com.example.news", false},
      {"COPPA (regs.coppa = 1)", true, "com.example.news", true},
      {"child_directed_app (registered bundle)", false, "com.example.kids", true},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    World world;
    world.market.child_directed_apps = {"com.example.kids"};
    Campaign campaign = BannerCampaign("c1", 2 * kDollar);
    campaign.child_directed = true;
    campaign.frequency_caps = {{.max = 3, .per = CapPeriod::kDay}};
    world.campaigns = std::make_unique<CampaignSet>(std::vector<Campaign>{campaign});
    BidPipeline pipeline(world.Config(), world.clock, 0);
    EpochDomain::Reader reader(world.epoch);
    EpochDomain::ReadGuard guard(reader);

    BidRequest request = UserRequest(0);
    request.publication.bundle = row.bundle;
    if (row.coppa) request.regs.coppa = 1;
    const BidOutcome outcome = pipeline.Bid(&request, world.View(guard), kNow);
    REQUIRE(outcome.status == BidOutcome::Status::kBid);
    CHECK(outcome.privacy.child_directed == row.child);
    REQUIRE(pipeline.signed_bids().size() == 1);
    const uint64_t user = FrequencyUserKey(world.user_key, *KeyForId(kIfa));
    for (const std::string& text :
         {pipeline.signed_bids()[0].exchange_token, pipeline.signed_bids()[0].ad_token}) {
      absl::StatusOr<NoticeToken> token = VerifyNoticeToken(text, world.notice_key, kNow);
      REQUIRE(token.ok());
      CHECK(token->user == (row.child ? 0 : user));
    }
    BidRequest explained = UserRequest(0);
    explained.publication.bundle = row.bundle;
    if (row.coppa) explained.regs.coppa = 1;
    const Explanation e = pipeline.Explain(
        &explained, world.View(guard), [](const Campaign&) { return true; }, 10);
    CHECK(e.privacy.capping_allowed == !row.child);
    CHECK(world.money.frequency.size() == 0);  // a bid counts nothing; its impression may
  }
}

TEST_CASE("one request with 4,500 imps gets bounded bids and reservations") {
  World world;
  std::vector<Campaign> campaigns;
  for (int i = 0; i < 12; ++i) {
    Campaign c = BannerCampaign("c" + std::to_string(i), 2 * kDollar + i * kDollar / 10);
    c.daily_budget = 100 * kDollar;
    c.pacing = Pacing::kAsap;
    campaigns.push_back(std::move(c));
  }
  world.campaigns = std::make_unique<CampaignSet>(campaigns);
  const BidPipelineConfig config = world.Config();
  BidPipeline pipeline(config, world.clock, 0);
  EpochDomain::Reader reader(world.epoch);
  EpochDomain::ReadGuard guard(reader);

  BidRequest request = WithImpCopies(UserRequest(0), 4'500);
  const BidOutcome outcome = pipeline.Bid(&request, world.View(guard), kNow);
  REQUIRE(outcome.status == BidOutcome::Status::kBid);
  CHECK(outcome.imps_over_limit == 4'500 - config.max_imps_per_request);
  CHECK(request.imps.size() == config.max_imps_per_request);
  CHECK(outcome.result.bids.size() == config.max_bids_per_response);
  CHECK(pipeline.signed_bids().size() == config.max_bids_per_response);
  CHECK(world.money.ledger.open_reservations() == config.max_bids_per_response);
  for (const Campaign& c : campaigns) {
    INFO(c.id);
    size_t bids = 0;
    for (const Bid& bid : outcome.result.bids) bids += bid.campaign->id == c.id;
    CHECK(bids <= config.max_bids_per_campaign);
    CHECK(world.money.ledger.Account(c.id).State(kNow).daily_reserved <=
          c.daily_budget * config.max_request_reservation_ppm / 1'000'000);
  }
}

TEST_CASE("a request holds at most its share of a campaign's budget, beyond its first bid") {
  World world;
  Campaign campaign = BannerCampaign("c1", 2 * kDollar);  // a bid holds 2,000 micros
  campaign.daily_budget = 100 * kDollar;
  campaign.pacing = Pacing::kAsap;  // the whole day's budget is there to be held
  world.campaigns = std::make_unique<CampaignSet>(std::vector<Campaign>{campaign});
  EpochDomain::Reader reader(world.epoch);
  EpochDomain::ReadGuard guard(reader);
  struct Row {
    int64_t share_ppm;
    size_t bids;
  };
  // 100 USD: 10 ppm is 1,000 micros (only the first bid), 40 ppm 4,000 (two), 60 ppm 6,000.
  for (const Row& row : {Row{10, 1}, Row{40, 2}, Row{60, 3}}) {
    INFO(row.share_ppm);
    BidPipelineConfig config = world.Config();
    config.max_bids_per_campaign = 10;
    config.max_request_reservation_ppm = row.share_ppm;
    // A worker per row: pipelines started at the same instant would repeat each other's bid ids.
    BidPipeline pipeline(config, world.clock, /*worker=*/static_cast<int>(row.share_ppm));
    BidRequest request = WithImpCopies(UserRequest(0), 5);
    const Micros before = world.money.ledger.Account("c1").State(kNow).daily_reserved;
    const BidOutcome outcome = pipeline.Bid(&request, world.View(guard), kNow);
    REQUIRE(outcome.status == BidOutcome::Status::kBid);
    CHECK(outcome.result.bids.size() == row.bids);
    CHECK(pipeline.signed_bids().size() == row.bids);
    CHECK(world.money.ledger.Account("c1").State(kNow).daily_reserved - before ==
          static_cast<Micros>(row.bids) * 2'000);
    CHECK(outcome.result.imp_reasons[row.bids] == NoBidReason::kRequestLimit);
  }
}

}  // namespace
}  // namespace vetrina::engine

namespace vetrina::engine {
namespace {

TEST_CASE("the bid path reads authorised supply from the market's uploads, once per request") {
  World world;
  Campaign strict = BannerCampaign("strict", 2 * kDollar);
  strict.require_authorised_supply = true;
  world.campaigns = std::make_unique<CampaignSet>(std::vector<Campaign>{strict});
  auto app_ads = std::make_shared<AppAdsTxt>();
  app_ads->records = {{"directseller.com", "00001", SellerRelationship::kDirect, ""}};
  world.market.authorised_sellers.app_ads["com.example.app"] = app_ads;
  auto sellers = std::make_shared<SellersList>();
  sellers->sellers["00001"] = {"00001", SellerType::kPublisher, false, "Publisher", "p.com"};
  world.market.authorised_sellers.sellers["directseller.com"] = sellers;
  BidPipeline pipeline(world.Config(), world.clock, 0);
  EpochDomain::Reader reader(world.epoch);
  EpochDomain::ReadGuard guard(reader);

  auto request = [](std::string sid) {
    BidRequest r = UserRequest(0);
    r.publication.channel = DistributionChannel::kApp;
    r.publication.bundle = "com.example.app";
    SupplyChainNode node;
    node.asi = "directseller.com";
    node.sid = std::move(sid);
    r.schain = SupplyChain{.complete = true, .version = "1.0", .nodes = {node}};
    return r;
  };
  BidRequest authorised = request("00001");
  CHECK(pipeline.Bid(&authorised, world.View(guard), kNow).status == BidOutcome::Status::kBid);
  BidRequest unknown = request("99999");
  const BidOutcome refused = pipeline.Bid(&unknown, world.View(guard), kNow);
  CHECK(refused.status == BidOutcome::Status::kNoBid);
  CHECK(refused.result.RequestReason() == NoBidReason::kUnauthorisedSupply);
  BidRequest explained = request("99999");
  const Explanation e = pipeline.Explain(
      &explained, world.View(guard), [](const Campaign&) { return true; }, 10);
  CHECK(e.supply.problem == SupplyProblem::kNotInAppAdsTxt);
  REQUIRE(e.campaigns.size() == 1);
  CHECK(e.campaigns[0].reason == NoBidReason::kUnauthorisedSupply);
}

}  // namespace
}  // namespace vetrina::engine
