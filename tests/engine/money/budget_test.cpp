#include "engine/money/budget.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::kDollar;
using testing::kNow;

TEST_CASE("a reservation holds budget until it is settled, released or expires") {
  BudgetLedger ledger(absl::Seconds(60));
  Campaign c = BannerCampaign("c", kDollar);
  c.daily_budget = 1'000;
  CHECK(ledger.Reserve("b1", c, 600, kNow));
  CHECK_FALSE(ledger.Reserve("b2", c, 500, kNow));  // 600 + 500 > 1000
  CHECK(ledger.Reserve("b3", c, 400, kNow));
  AccountState s = ledger.Account("c").State(kNow);
  CHECK(s.daily_reserved == 1'000);
  CHECK(s.daily_settled == 0);

  // A win settles at the real price; the difference goes back.
  CHECK(ledger.Settle("b1", "c", BudgetLimits::Of(c), 450, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kSettled);
  s = ledger.Account("c").State(kNow);
  CHECK(s.daily_settled == 450);
  CHECK(s.daily_reserved == 400);
  CHECK(s.lifetime_settled == 450);

  // A loss releases.
  ledger.Release("b3");
  CHECK(ledger.Account("c").State(kNow).daily_reserved == 0);
  CHECK(ledger.Reserve("b4", c, 550, kNow));
  // An unanswered bid expires after the timeout and gives its budget back.
  CHECK(ledger.Expire(kNow + absl::Seconds(59)) == 0);
  CHECK(ledger.Expire(kNow + absl::Seconds(60)) == 1);
  CHECK(ledger.Account("c").State(kNow).daily_reserved == 0);
  CHECK(ledger.open_reservations() == 0);
}

TEST_CASE("without its reservation a charge is made only within the budget") {
  BudgetLedger ledger;
  Campaign c = BannerCampaign("c", kDollar);
  c.lifetime_budget = 1'000;
  const BudgetLimits limits = BudgetLimits::Of(c);
  // A notice for a bid from before a restart: no reservation.
  CHECK(ledger.Settle("old-1", "c", limits, 700, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kChargedWithoutReservation);
  CHECK(ledger.Settle("old-2", "c", limits, 400, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kOverBudget);
  CHECK(ledger.Account("c").State(kNow).lifetime_settled == 700);
  // A campaign that no longer exists takes nothing without a reservation.
  CHECK(ledger.Settle("old-3", "gone", BudgetLimits::Closed(), 1, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kOverBudget);
  // A charge above what was reserved is not settled blindly: the excess must fit too.
  CHECK(ledger.Reserve("b", c, 100, kNow));
  CHECK(ledger.Settle("b", "c", limits, 301, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kOverBudget);
  CHECK(ledger.Account("c").State(kNow).lifetime_reserved == 0);
}

TEST_CASE("a new UTC day starts the daily budget afresh; yesterday's bids settle on yesterday") {
  BudgetLedger ledger(absl::Hours(2));
  Campaign c = BannerCampaign("c", kDollar);
  c.daily_budget = 1'000;
  c.lifetime_budget = 5'000;
  const absl::Time late = StartOfDay(DayOf(kNow) + 1) - absl::Minutes(1);
  CHECK(ledger.Reserve("y", c, 1'000, late));
  CHECK_FALSE(ledger.Reserve("y2", c, 1, late));
  const absl::Time next_day = late + absl::Minutes(2);
  CHECK(ledger.Reserve("t", c, 1'000, next_day));  // today's budget is untouched
  CHECK(ledger.Settle("y", "c", BudgetLimits::Of(c), 800, DayOf(late), next_day) ==
        BudgetLedger::SettleResult::kSettled);
  const AccountState s = ledger.Account("c").State(next_day);
  CHECK(s.daily_settled == 0);  // yesterday's spend
  CHECK(s.daily_reserved == 1'000);
  CHECK(s.lifetime_settled == 800);
  CHECK(s.lifetime_reserved == 1'000);
}

TEST_CASE("many threads hammering a tiny budget never overspend it", "[concurrency]") {
  BudgetLedger ledger(absl::Seconds(60));
  Campaign c = BannerCampaign("tiny", kDollar);
  c.daily_budget = 10'000;
  c.lifetime_budget = 25'000;
  const BudgetLimits limits = BudgetLimits::Of(c);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> violations{0};
  std::atomic<int64_t> settled_total{0};
  // A watcher checks the invariant at every instant it can observe.
  std::thread watcher([&] {
    while (!stop.load()) {
      const AccountState s = ledger.Account("tiny").State(kNow);
      if (s.daily_settled + s.daily_reserved > c.daily_budget ||
          s.lifetime_settled + s.lifetime_reserved > c.lifetime_budget || s.daily_reserved < 0) {
        violations.fetch_add(1);
      }
    }
  });
  const int threads = std::max(4u, std::thread::hardware_concurrency());
  std::vector<std::thread> bidders;
  for (int t = 0; t < threads; ++t) {
    bidders.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) {
        const std::string bid = StrCat("t", t, "-", i);
        const Micros cost = 1 + (i * 7 + t) % 50;
        if (!ledger.Reserve(bid, c, cost, kNow)) continue;
        switch (i % 3) {
          case 0: {  // won, at a lower price
            const Micros charge = cost - (i % 2);
            if (ledger.Settle(bid, "tiny", limits, charge, DayOf(kNow), kNow) !=
                BudgetLedger::SettleResult::kOverBudget) {
              settled_total.fetch_add(charge);
            }
            break;
          }
          case 1:
            ledger.Release(bid);  // lost
            break;
          default:
            break;  // no notice: expires below
        }
      }
    });
  }
  for (std::thread& b : bidders) b.join();
  ledger.Expire(kNow + absl::Seconds(61));
  stop = true;
  watcher.join();
  const AccountState s = ledger.Account("tiny").State(kNow);
  CHECK(violations.load() == 0);
  CHECK(s.daily_reserved == 0);
  CHECK(s.lifetime_reserved == 0);
  CHECK(s.daily_settled == settled_total.load());
  CHECK(s.daily_settled <= c.daily_budget);
  // The budget was contended for: some of it spent (a third of the bids never answered, so
  // their reservations held budget until they expired).
  CHECK(s.daily_settled > c.daily_budget / 4);
}

TEST_CASE("Check answers like Admit without changing the account; paced only at the floor") {
  Campaign campaign = BannerCampaign("c1", 2 * kDollar);
  campaign.daily_budget = 100 * kDollar;
  campaign.pacing = Pacing::kEven;
  CampaignAccount account;
  Rng rng(1);
  const absl::Time day_start = StartOfDay(DayOf(kNow));
  absl::Time now = day_start + absl::Hours(1);
  CHECK(account.Check(campaign, now) == NoBidReason::kNone);  // a new account: all of it left

  // Spending far ahead of plan drives pacing down, halving the rate each interval.
  account.Restore(80 * kDollar, DayOf(now), now);
  for (int i = 0; i < 40; ++i) {
    now += PacingController::kInterval;
    account.Restore(kDollar / 10, DayOf(now), now);
    account.Admit(campaign, now, rng);
    const double rate = account.State(now).pacing_rate;
    INFO("interval " << i << " rate " << rate);
    const NoBidReason expected =
        rate <= PacingController::kMinRate ? NoBidReason::kPaced : NoBidReason::kNone;
    const AccountState before = account.State(now);
    CHECK(account.Check(campaign, now) == expected);
    CHECK(account.State(now).pacing_rate == before.pacing_rate);  // a read changes nothing
  }
  CHECK(account.State(now).pacing_rate == PacingController::kMinRate);
  CHECK(account.Check(campaign, now) == NoBidReason::kPaced);

  // The budget used up is the budget rule, whatever pacing says.
  account.Restore(20 * kDollar, DayOf(now), now);
  CHECK(account.Check(campaign, now) == NoBidReason::kBudgetExhausted);
}

TEST_CASE("a fleet node reserves only within its lease and before the lease's deadline") {
  BudgetLedger ledger(absl::Seconds(60));
  ledger.RequireLeases(0xabcULL);
  Campaign c = BannerCampaign("c", kDollar);
  c.lifetime_budget = 10 * kDollar;
  Rng rng(1);
  // No lease yet: budget is left fleet-wide, but this node may not spend it.
  CHECK(ledger.Account("c").Admit(c, kNow, rng) == NoBidReason::kLeaseExhausted);
  CHECK_FALSE(ledger.Reserve("b0", c, 100, kNow));
  // Refused bids still tell the keeper what the node wanted.
  CHECK(ledger.Account("c").Lease().asked_total == 100);
  CHECK(ledger.Account("c").Lease().largest_bid == 100);

  ledger.Account("c").GrantLease(7, 1'000, kNow + absl::Seconds(2));
  LeaseId lease;
  REQUIRE(ledger.Reserve("b1", c, 600, kNow, &lease));
  CHECK(lease == LeaseId{0xabcULL, 7});
  CHECK_FALSE(ledger.Reserve("b2", c, 500, kNow));  // 600 + 500 > the lease's 1,000
  CHECK(ledger.Reserve("b3", c, 400, kNow));
  CHECK(ledger.Account("c").Admit(c, kNow, rng) == NoBidReason::kLeaseExhausted);
  CHECK(ledger.Account("c").Check(c, kNow) == NoBidReason::kLeaseExhausted);

  // A win spends lease money; what it did not cost and a loss's reservation come back.
  CHECK(ledger.Settle("b1", "c", BudgetLimits::Of(c), 450, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kSettled);
  ledger.Release("b3");
  LeaseState state = ledger.Account("c").Lease();
  CHECK(state.outstanding == 550);
  CHECK(state.reserved == 0);
  CHECK(state.room() == 550);

  // Past the deadline nothing is reserved, whatever room is left.
  CHECK_FALSE(ledger.Reserve("b4", c, 1, kNow + absl::Seconds(2)));
  CHECK(ledger.Account("c").Admit(c, kNow + absl::Seconds(2), rng) == NoBidReason::kLeaseExhausted);
}

TEST_CASE("a new lease does not count the old lease's reservations") {
  BudgetLedger ledger(absl::Seconds(60));
  ledger.RequireLeases(1);
  Campaign c = BannerCampaign("c", kDollar);
  c.daily_budget = 10 * kDollar;
  CampaignAccount& account = ledger.Account("c");
  account.GrantLease(1, 1'000, kNow + absl::Seconds(2));
  REQUIRE(ledger.Reserve("old", c, 800, kNow));
  // Redis closed the old lease while this node could not renew; a new one starts empty.
  account.GrantLease(2, 500, kNow + absl::Seconds(4));
  CHECK(account.Lease().reserved == 0);
  CHECK(ledger.Reserve("new", c, 500, kNow + absl::Seconds(3)));
  // The old reservation's release leaves the new lease alone.
  ledger.Release("old");
  CHECK(account.Lease().reserved == 500);
  CHECK(account.Lease().outstanding == 500);
}

TEST_CASE(
    "the fleet's rule charges a leased bid without its reservation, shrinking only our lease") {
  BudgetLedger ledger(absl::Seconds(60));
  ledger.RequireLeases(5);
  Campaign c = BannerCampaign("c", kDollar);
  c.lifetime_budget = 1'000;
  CampaignAccount& account = ledger.Account("c");
  account.GrantLease(3, 900, kNow + absl::Seconds(2));
  // Another node's bid: charged even though this node's view of the budget says otherwise.
  CHECK(ledger.SettleLeased("theirs", "c", LeaseId{9, 1}, 800, DayOf(kNow), kNow) ==
        BudgetLedger::SettleResult::kChargedWithoutReservation);
  CHECK(account.State(kNow).lifetime_settled == 800);
  CHECK(account.Lease().outstanding == 900);
  // This node's bid whose reservation is gone (it restarted... or never had one here).
  ledger.SettleLeased("ours", "c", LeaseId{5, 3}, 100, DayOf(kNow), kNow);
  CHECK(account.Lease().outstanding == 800);
}

TEST_CASE("shrinking a lease takes out only its free room, at once") {
  BudgetLedger ledger(absl::Seconds(60));
  ledger.RequireLeases(1);
  Campaign c = BannerCampaign("c", kDollar);
  c.lifetime_budget = 10 * kDollar;
  CampaignAccount& account = ledger.Account("c");
  account.GrantLease(1, 1'000, kNow + absl::Seconds(10));
  REQUIRE(ledger.Reserve("open", c, 300, kNow));
  // Keep 200 of room: 500 goes back, and no bid can reserve it meanwhile.
  CHECK(account.ShrinkLease(1, 200, /*stop=*/false) == 500);
  CHECK(account.Lease().outstanding == 500);
  CHECK_FALSE(ledger.Reserve("too-big", c, 201, kNow));
  CHECK(ledger.Reserve("fits", c, 200, kNow));
  // Another lease's epoch: nothing.
  CHECK(account.ShrinkLease(2, 0, /*stop=*/true) == 0);
  // Handing back: no room kept, and no bid any more.
  ledger.Release("fits");
  CHECK(account.ShrinkLease(1, 0, /*stop=*/true) == 200);
  CHECK(account.Lease().outstanding == 300);  // what the open bid may still cost
  CHECK_FALSE(ledger.Reserve("after", c, 1, kNow));
}

}  // namespace
}  // namespace vetrina::engine
