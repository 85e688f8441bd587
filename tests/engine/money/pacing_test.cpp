#include "engine/money/pacing.h"

#include <catch2/catch.hpp>
#include <cmath>
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

struct DayResult {
  Micros spent = 0;
  std::vector<Micros> hourly;
};

DayResult SimulateDay(const Campaign& campaign, uint64_t seed) {
  BudgetLedger ledger(absl::Seconds(60));
  Rng rng(seed);
  const absl::Time day_start = StartOfDay(DayOf(kNow));
  DayResult result;
  result.hourly.assign(24, 0);
  CampaignAccount& account = ledger.Account(campaign.id);
  int bid_id = 0;
  for (int minute = 0; minute < 24 * 60; ++minute) {
    const absl::Time minute_start = day_start + absl::Minutes(minute);
    const int requests = static_cast<int>(TrafficPerMinute(minute));
    for (int r = 0; r < requests; ++r) {
      const absl::Time now = minute_start + absl::Seconds(60.0 * r / requests);
      if (account.Admit(campaign, now, rng) != NoBidReason::kNone) continue;
      const std::string id = StrCat(bid_id++);
      const Micros price = 2'000 + static_cast<Micros>(rng.Uniform() * 2'000);  // per impression
      if (!ledger.Reserve(id, campaign, price, now)) continue;
      if (rng.Bernoulli(0.3)) {  // we win 30% of our bids
        ledger.Settle(id, campaign.id, BudgetLimits::Of(campaign), price, DayOf(now), now);
        result.spent += price;
        result.hourly[minute / 60] += price;
      } else {
        ledger.Release(id);
      }
    }
  }
  return result;
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
        const Micros planned = c.daily_budget * (h + 1) / 24;
        CHECK(std::abs(cumulative - planned) <= c.daily_budget / 20);
      }
    }
  }
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
