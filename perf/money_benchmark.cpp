// What money adds to a bid: the policy's admission checks (frequency caps with the keyed user
// hash, budget headroom, even pacing) for the campaigns the auction considers, the winner's
// reservation, and its signed notice token.
//
//   build/perf/money_benchmark
//
// BM_Auction/{0,1}: one auction over 10k synthetic campaigns (all with budgets, even pacing and
// a daily cap) without (0) and with (1) money; p50/p99 per request. BM_MoneyPerBid: the money
// steps alone for one winning bid (2 admissions, 1 reservation, 2 tokens); p50/p99, on a single
// node (0) and on a fleet node reserving against budget leases (1): the difference is what
// leases add to the bid path.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>

#include "base/strings.h"
#include "engine/auction/auction.h"
#include "engine/money/notice_token.h"
#include "engine/money/spend_policy.h"
#include "engine/testing/synthetic.h"
#include "perf/percentiles.h"

namespace vetrina {
namespace {

using engine::Micros;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

struct World {
  std::vector<engine::Campaign> campaigns;
  std::unique_ptr<engine::CampaignSet> set;
  std::vector<engine::BidRequest> requests;
  std::vector<std::vector<std::string>> segments;
  std::vector<std::optional<engine::AudienceKey>> user_keys;  // computed by the lookup already
};

const World& TheWorld() {
  static const World* world = [] {
    auto* w = new World;
    engine::SyntheticWorld gen(7);
    w->campaigns = gen.Campaigns(10'000);
    for (engine::Campaign& c : w->campaigns) {
      c.daily_budget = 1'000'000 * engine::kMicrosPerUnit;
      c.lifetime_budget = 10'000'000 * engine::kMicrosPerUnit;
      c.pacing = engine::Pacing::kEven;
      c.frequency_caps = {{.max = 1000, .per = engine::CapPeriod::kDay}};
    }
    w->set = std::make_unique<engine::CampaignSet>(w->campaigns);
    for (int i = 0; i < 4096; ++i) {
      engine::BidRequest r = gen.Request();
      r.device.ifa = StrCat("user-", i);
      w->user_keys.push_back(engine::KeyForId(r.device.ifa));
      w->requests.push_back(std::move(r));
      w->segments.push_back(gen.UserSegments());
    }
    return w;
  }();
  return *world;
}

struct Money {
  engine::MoneyState state{absl::Seconds(60)};
  vetrina::HmacSha256Key notice_key{"notice-secret"};
  vetrina::HmacSha256Key user_key{"user-secret"};
  vetrina::Rng rng{1};
};

void BM_Auction(benchmark::State& state) {
  const World& w = TheWorld();
  const bool with_money = state.range(0) == 1;
  Money money;
  engine::CampaignSet::Scratch scratch;
  std::vector<double> latencies_us;
  std::vector<std::string> reserved;
  size_t i = 0, bids = 0;
  uint64_t bid_seq = 0;
  for (auto _ : state) {
    const engine::BidRequest& request = w.requests[i % w.requests.size()];
    const std::vector<std::string>& segments = w.segments[i % w.segments.size()];
    const std::optional<engine::AudienceKey>& user = w.user_keys[i % w.user_keys.size()];
    ++i;
    const auto start = std::chrono::steady_clock::now();
    if (!with_money) {
      engine::AuctionResult r = engine::RunAuction(
          request, *w.set,
          engine::AuctionContext{.now = kNow, .segments = &segments, .scratch = &scratch});
      bids += r.bids.size();
      benchmark::DoNotOptimize(r);
    } else {
      engine::SpendPolicy policy(money.state, money.rng, kNow, request.publication.bundle,
                                 money.user_key, user);
      engine::AuctionResult r = engine::RunAuction(
          request, *w.set,
          engine::AuctionContext{
              .now = kNow, .segments = &segments, .scratch = &scratch, .policy = &policy});
      for (const engine::Bid& bid : r.bids) {
        std::string id = StrCat("b-", ++bid_seq);
        if (!money.state.ledger.Reserve(id, *bid.campaign,
                                        engine::ImpressionCost(bid.clearing_price), kNow)) {
          continue;
        }
        engine::NoticeToken token{.auction_id = request.id,
                                  .bid_id = id,
                                  .campaign_id = bid.campaign->id,
                                  .creative_id = bid.match.creative->id,
                                  .app = request.publication.bundle,
                                  .bid_price = bid.clearing_price,
                                  .user = policy.user(),
                                  .issued = kNow,
                                  .expires = kNow + absl::Seconds(60)};
        benchmark::DoNotOptimize(engine::SignNoticeToken(token, money.notice_key));
        token.scope = engine::TokenScope::kAd;  // the ad's trackers get their own token
        benchmark::DoNotOptimize(engine::SignNoticeToken(token, money.notice_key));
        reserved.push_back(std::move(id));
        ++bids;
      }
    }
    const auto end = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    // Loss notices, outside the timing, keep the ledger's size steady.
    if (reserved.size() >= 1024) {
      for (const std::string& id : reserved) money.state.ledger.Release(id);
      reserved.clear();
    }
  }
  perf::ReportPercentiles(state, &latencies_us);
  state.counters["bid_rate"] = static_cast<double>(bids) / i;
}
BENCHMARK(BM_Auction)->Arg(0)->Arg(1)->Iterations(200'000);

void BM_MoneyPerBid(benchmark::State& state) {
  const World& w = TheWorld();
  Money money;
  const engine::Campaign& winner = w.campaigns[0];
  const engine::Campaign& runner_up = w.campaigns[1];
  if (state.range(0) == 1) {
    // A fleet node whose keeper has leased both campaigns more than the run spends.
    money.state.ledger.RequireLeases(0xfeedULL);
    for (const engine::Campaign* c : {&winner, &runner_up}) {
      money.state.ledger.Account(c->id).GrantLease(1, int64_t{1} << 50, kNow + absl::Hours(1));
    }
  }
  std::vector<double> latencies_us;
  uint64_t seq = 0;
  for (auto _ : state) {
    const std::string id = StrCat("b-", ++seq);
    // The bid path has the user's audience key already (it looked the user up).
    const std::optional<engine::AudienceKey> user =
        engine::KeyForId(StrCat("user-", seq % 100'000));
    const auto start = std::chrono::steady_clock::now();
    engine::SpendPolicy policy(money.state, money.rng, kNow, "com.example", money.user_key, user);
    benchmark::DoNotOptimize(policy.Admit(winner));
    benchmark::DoNotOptimize(policy.Admit(runner_up));
    engine::LeaseId lease;
    const bool reserved = money.state.ledger.Reserve(id, winner, 2'000, kNow, &lease);
    engine::NoticeToken token{.auction_id = "req-1",
                              .bid_id = id,
                              .campaign_id = winner.id,
                              .creative_id = winner.creatives[0].id,
                              .app = "com.example",
                              .bid_price = 2'000'000,
                              .user = policy.user(),
                              .lease = lease,
                              .issued = kNow,
                              .expires = kNow + absl::Seconds(60)};
    benchmark::DoNotOptimize(engine::SignNoticeToken(token, money.notice_key));
    token.scope = engine::TokenScope::kAd;
    benchmark::DoNotOptimize(engine::SignNoticeToken(token, money.notice_key));
    const auto end = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    if (reserved) money.state.ledger.Release(id);
  }
  perf::ReportPercentiles(state, &latencies_us);
}
BENCHMARK(BM_MoneyPerBid)->Arg(0)->Arg(1)->Iterations(300'000);

// The pieces, for the profile: the keyed user hash and the token's signature dominate.
void BM_UserKey(benchmark::State& state) {
  Money money;
  const engine::AudienceKey key = *engine::KeyForId("6D92078A-8246-4BA4-AE5B-76104861E7DC");
  for (auto _ : state) benchmark::DoNotOptimize(engine::FrequencyUserKey(money.user_key, key));
}
BENCHMARK(BM_UserKey);

void BM_SignToken(benchmark::State& state) {
  Money money;
  engine::NoticeToken token{.auction_id = "req-1",
                            .bid_id = "1a2b3c-0-ff",
                            .campaign_id = "campaign-000123",
                            .creative_id = "creative-1",
                            .app = "com.example.app",
                            .bid_price = 2'000'000,
                            .user = 0x1234567890ULL,
                            .issued = kNow,
                            .expires = kNow + absl::Seconds(60)};
  for (auto _ : state) benchmark::DoNotOptimize(engine::SignNoticeToken(token, money.notice_key));
}
BENCHMARK(BM_SignToken);

}  // namespace
}  // namespace vetrina

BENCHMARK_MAIN();
