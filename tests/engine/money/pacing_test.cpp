#include "engine/money/pacing.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "engine/money/budget.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::kDollar;
using testing::kNow;

// Traffic over a synthetic day: quiet at night, peaks in the evening, requests per minute.
double TrafficPerMinute(int minute) {
  const double hour = minute / 60.0;
  return 400.0 * (1.0 + 0.8 * std::sin((hour - 10.0) / 24.0 * 2 * M_PI));
}

// The auction a campaign meets: how much traffic it sees (a multiple of TrafficPerMinute), what
// an impression costs and how often its bids win.
struct Market {
  double traffic = 1.0;
  Micros min_price = 2'000;  // per impression, uniform in [min_price, min_price + price_spread)
  Micros price_spread = 2'000;
  double win_rate = 0.3;
};

struct DayResult {
  Micros spent = 0;  // fleet-wide
  std::vector<Micros> hourly;
  int refused_fleet_charges = 0;     // wins another node's account would not take
  std::vector<Micros> node_settled;  // each node's view of today's spend at the end of the day
};

// A day of `campaign` bidding on `nodes` nodes, each with its own ledger. A load balancer sends
// each request to a random node, which admits (pacing) and reserves against its own account. A
// win settles there and, as every node applies every notice of the shared log, is also charged
// on every other node, which holds no reservation for it: each account sees fleet-wide spend
// but only its own node's reservations.
DayResult SimulateFleetDay(const Campaign& campaign, uint64_t seed, int nodes,
                           const Market& market) {
  std::vector<std::unique_ptr<BudgetLedger>> ledgers;
  for (int n = 0; n < nodes; ++n) ledgers.push_back(std::make_unique<BudgetLedger>());
  Rng rng(seed);
  Rng router(seed ^ 0x5eed);  // its own draws: one node sees exactly the single-node day
  const absl::Time day_start = StartOfDay(DayOf(kNow));
  const BudgetLimits limits = BudgetLimits::Of(campaign);
  DayResult result;
  result.hourly.assign(24, 0);
  int bid_id = 0;
  for (int minute = 0; minute < 24 * 60; ++minute) {
    const absl::Time minute_start = day_start + absl::Minutes(minute);
    const int requests = static_cast<int>(market.traffic * TrafficPerMinute(minute));
    for (int r = 0; r < requests; ++r) {
      const absl::Time now = minute_start + absl::Seconds(60.0 * r / requests);
      const int node = nodes == 1 ? 0 : static_cast<int>(router.Uniform() * nodes);
      BudgetLedger& ledger = *ledgers[node];
      if (ledger.Account(campaign.id).Admit(campaign, now, rng) != NoBidReason::kNone) continue;
      const std::string id = StrCat(bid_id++);
      const Micros price =
          market.min_price + static_cast<Micros>(rng.Uniform() * market.price_spread);
      if (!ledger.Reserve(id, campaign, price, now)) continue;
      if (rng.Bernoulli(market.win_rate)) {
        ledger.Settle(id, campaign.id, limits, price, DayOf(now), now);
        result.spent += price;
        result.hourly[minute / 60] += price;
        for (int other = 0; other < nodes; ++other) {
          if (other == node) continue;
          if (ledgers[other]->Settle(id, campaign.id, limits, price, DayOf(now), now) !=
              BudgetLedger::SettleResult::kChargedWithoutReservation) {
            ++result.refused_fleet_charges;
          }
        }
      } else {
        ledger.Release(id);
      }
    }
  }
  const absl::Time day_end = day_start + absl::Hours(24) - absl::Seconds(1);
  for (const auto& ledger : ledgers) {
    result.node_settled.push_back(ledger->Account(campaign.id).State(day_end).daily_settled);
  }
  return result;
}

DayResult SimulateDay(const Campaign& campaign, uint64_t seed) {
  return SimulateFleetDay(campaign, seed, 1, Market{});
}

// The even plan's test: the cumulative spend at the end of `hour` (0-based) is within 5% of the
// daily budget of budget × (hour + 1) / 24.
bool CumulativeWithinPlan(Micros cumulative, Micros daily_budget, int hour) {
  const Micros planned = daily_budget * (hour + 1) / 24;
  return std::abs(cumulative - planned) <= daily_budget / 20;
}

TEST_CASE("even pacing spends the daily budget over the whole day, tracking the plan") {
  // Unthrottled, this traffic would spend about 5x the budget (576k requests x 30% won x 3,000
  // micros), all of it by mid-morning.
  Campaign c = BannerCampaign("paced", kDollar);
  c.daily_budget = 100 * kDollar;
  for (uint64_t seed : {1, 2, 3}) {
    const DayResult day = SimulateDay(c, seed);
    INFO("seed " << seed << " spent " << day.spent);
    CHECK(day.spent <= c.daily_budget);
    CHECK(day.spent >= c.daily_budget * 95 / 100);  // within 5% of the budget
    // Every hour after the first (where the throttle learns the traffic) is within 25% of the
    // even plan, whatever the traffic did that hour; cumulative spend stays within 5% of plan.
    Micros cumulative = 0;
    for (int h = 0; h < 24; ++h) {
      cumulative += day.hourly[h];
      INFO("hour " << h << " spent " << day.hourly[h]);
      if (h >= 1) {
        CHECK(std::abs(day.hourly[h] - c.daily_budget / 24) <= c.daily_budget / 24 / 4);
        CHECK(CumulativeWithinPlan(cumulative, c.daily_budget, h));
      }
    }
  }
}

TEST_CASE("even pacing across a fleet of three nodes tracks the plan in 95% of campaign-hours") {
  // 20 campaigns, each on three nodes that split its traffic; unthrottled, the traffic would buy
  // 3x to 8x its daily budget. The single-node test's rule: from the second hour on, the
  // cumulative spend at each hour's end is within 5% of the budget of the even plan.
  constexpr int kCampaigns = 20;
  constexpr int kNodes = 3;
  double day_requests = 0;
  for (int minute = 0; minute < 24 * 60; ++minute) day_requests += TrafficPerMinute(minute);
  Rng draw(2027);
  int hours = 0;
  int hours_within = 0;
  for (int i = 0; i < kCampaigns; ++i) {
    Market market;
    market.traffic = 0.5 + draw.Uniform();
    market.win_rate = 0.1 + 0.4 * draw.Uniform();
    market.min_price = 1'000 + static_cast<Micros>(draw.Uniform() * 5'000);
    market.price_spread = market.min_price;
    const double buys = 3.0 + 5.0 * i / (kCampaigns - 1);  // unthrottled spend / budget
    const double unthrottled = market.traffic * day_requests * market.win_rate *
                               (market.min_price + market.price_spread / 2.0);
    Campaign c = BannerCampaign(StrCat("fleet-", i), kDollar);
    c.daily_budget = static_cast<Micros>(unthrottled / buys);
    const DayResult day = SimulateFleetDay(c, 100 + i, kNodes, market);
    INFO("campaign " << i << " budget " << c.daily_budget << " spent " << day.spent);
    CHECK(day.spent <= c.daily_budget);
    // Every node applied every win: all agree on the fleet's spend.
    CHECK(day.refused_fleet_charges == 0);
    for (Micros settled : day.node_settled) CHECK(settled == day.spent);
    Micros cumulative = 0;
    for (int h = 0; h < 24; ++h) {
      cumulative += day.hourly[h];
      if (h == 0) continue;  // the throttle learns the traffic
      ++hours;
      if (CumulativeWithinPlan(cumulative, c.daily_budget, h)) ++hours_within;
    }
  }
  const double fraction = static_cast<double>(hours_within) / hours;
  std::cout << "fleet pacing: " << hours_within << " of " << hours << " campaign-hours ("
            << 100.0 * fraction << "%) within 5% of the even plan\n";
  CHECK(fraction >= 0.95);
}

TEST_CASE("ASAP pacing never throttles; the budget still stops it") {
  Campaign c = BannerCampaign("asap", kDollar);
  c.daily_budget = 100 * kDollar;
  c.pacing = Pacing::kAsap;
  const DayResult day = SimulateDay(c, 7);
  CHECK(day.spent <= c.daily_budget);
  CHECK(day.spent >= c.daily_budget - 4'000);
  // Spent by noon: the traffic could buy it all early, and nothing held it back.
  Micros by_noon = 0;
  for (int h = 0; h < 12; ++h) by_noon += day.hourly[h];
  CHECK(by_noon >= c.daily_budget * 9 / 10);
}

TEST_CASE("the controller opens up when spend falls behind and closes when it runs ahead") {
  PacingController p;
  const absl::Time start = StartOfDay(DayOf(kNow));
  p.Reset(start, 0);
  // An hour in, spent nothing at full rate: stays at full rate.
  p.Update(start + absl::Hours(1), start, 24'000, 0);
  CHECK(p.rate() == 1.0);
  // Then spends 3x the plan in one interval: throttles.
  p.Update(start + absl::Hours(1) + absl::Minutes(1), start, 24'000, 50);
  CHECK(p.rate() < 0.7);
  CHECK(PacingController::Planned(start + absl::Hours(6), start, 24'000) == 6'000);
}

}  // namespace
}  // namespace vetrina::engine
