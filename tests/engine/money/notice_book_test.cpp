#include "engine/money/notice_book.h"

#include <catch2/catch.hpp>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::kDollar;
using testing::kNow;

struct Fixture {
  MoneyState money{absl::Seconds(60)};
  NoticeBook book{money};
  Campaign campaign = BannerCampaign("c", kDollar);

  Fixture() { campaign.lifetime_budget = 100 * kDollar; }

  NoticeToken Token(std::string bid, Micros bid_price_cpm) {
    return NoticeToken{.auction_id = "a",
                       .bid_id = std::move(bid),
                       .campaign_id = "c",
                       .creative_id = "c-banner",
                       .app = "com.example",
                       .bid_price = bid_price_cpm,
                       .user = 99,
                       .issued = kNow,
                       .expires = kNow + absl::Seconds(60)};
  }
  NoticeResult Apply(NoticeKind kind, const NoticeToken& t, std::optional<Micros> price = {}) {
    return book.Apply(Notice{kind, t, price}, BudgetLimits::Of(campaign), kNow);
  }
  AccountState State() { return money.ledger.Account("c").State(kNow); }
};

TEST_CASE("a win settles the reservation at the reported price, once") {
  Fixture f;
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, ImpressionCost(2 * kDollar), kNow));
  const NoticeToken t = f.Token("b1", 2 * kDollar);
  NoticeResult r = f.Apply(NoticeKind::kWin, t, 1'500'000);  // cleared at 1.50 CPM
  CHECK(r.status == NoticeResult::Status::kApplied);
  CHECK(r.effect.charged == 1'500);
  CHECK(f.State().lifetime_settled == 1'500);
  CHECK(f.State().lifetime_reserved == 0);
  // The billing notice of the same bid counts the impression and charges nothing more; a
  // repeated win or bill changes nothing.
  NoticeResult bill = f.Apply(NoticeKind::kBill, t, 1'500'000);
  CHECK(bill.status == NoticeResult::Status::kApplied);
  CHECK(bill.effect.charged == 0);
  CHECK(bill.bid_charged == 1'500);
  CHECK(f.money.ledger.Account("c").impressions.load() == 1);
  CHECK(f.Apply(NoticeKind::kBill, t, 1'500'000).status == NoticeResult::Status::kDuplicate);
  CHECK(f.Apply(NoticeKind::kImpression, t).status == NoticeResult::Status::kDuplicate);
  CHECK(f.Apply(NoticeKind::kWin, t).status == NoticeResult::Status::kDuplicate);
  CHECK(f.State().lifetime_settled == 1'500);
  // A loss after the win changes nothing.
  CHECK(f.Apply(NoticeKind::kLoss, t).status == NoticeResult::Status::kDuplicate);
  CHECK(f.money.ledger.Account("c").wins.load() == 1);
}

TEST_CASE("charged wins are counted by clearing CPM bucket, once per bid, and replays count too") {
  Fixture f;
  const CampaignAccount& account = f.money.ledger.Account("c");
  auto bucket_of = [&](Micros cpm) {
    size_t b = 0;
    while (b < CampaignAccount::kClearingCpmBuckets.size() &&
           cpm > CampaignAccount::kClearingCpmBuckets[b])
      ++b;
    return b;
  };
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, ImpressionCost(2 * kDollar), kNow));
  const NoticeToken t = f.Token("b1", 2 * kDollar);
  const NoticeResult win = f.Apply(NoticeKind::kWin, t, 1'500'000);
  REQUIRE(win.status == NoticeResult::Status::kApplied);
  f.Apply(NoticeKind::kBill, t, 1'500'000);  // the same bid: no second count
  CHECK(account.wins_by_cpm[bucket_of(1'500'000)].load() == 1);
  uint64_t total = 0;
  for (const auto& n : account.wins_by_cpm) total += n.load();
  CHECK(total == 1);
  // A win notice replayed from the journal (a restart) counts again into a fresh account.
  MoneyState restarted{absl::Seconds(60)};
  NoticeBook replayed{restarted};
  replayed.Replay(win.effect, kNow);
  CHECK(restarted.ledger.Account("c").wins_by_cpm[bucket_of(1'500'000)].load() == 1);
  // Above every bound lands in the last bucket.
  CHECK(bucket_of(100 * kDollar) == CampaignAccount::kClearingCpmBuckets.size());
}

TEST_CASE("a literal ${AUCTION_PRICE} charges our own price; a price above the bid is refused") {
  Fixture f;
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, ImpressionCost(2 * kDollar), kNow));
  const NoticeToken t = f.Token("b1", 2 * kDollar);
  CHECK(f.Apply(NoticeKind::kWin, t, 2 * kDollar + 1).status == NoticeResult::Status::kPriceAbove);
  CHECK(f.State().lifetime_settled == 0);
  NoticeResult r = f.Apply(NoticeKind::kWin, t);  // still settles after the refusal
  CHECK(r.effect.charged == 2'000);
}

TEST_CASE("a price reported in another currency converts back with the bid's rate") {
  Fixture f;
  NoticeToken t = f.Token("b1", 2 * kDollar);
  t.currency = "EUR";
  t.rate_micros = 500'000;  // 0.5 EUR per USD: we bid 1.00 EUR
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, ImpressionCost(2 * kDollar), kNow));
  CHECK(f.Apply(NoticeKind::kWin, t, 1'000'001).status == NoticeResult::Status::kPriceAbove);
  NoticeResult r = f.Apply(NoticeKind::kWin, t, 800'000);  // 0.80 EUR = 1.60 USD
  CHECK(r.effect.charged == 1'600);
}

TEST_CASE("impressions count toward caps and CTR; clicks charge CPC bids") {
  Fixture f;
  f.campaign.strategy = BidStrategy::kCpc;
  f.campaign.frequency_caps = {{.max = 1, .per = CapPeriod::kDay}};
  NoticeToken t = f.Token("b1", 2 * kDollar);
  t.click_price = 400'000;  // 0.40 per click
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, t.click_price, kNow));
  // A CPC win charges nothing and keeps the reservation for the click.
  CHECK(f.Apply(NoticeKind::kWin, t).effect.charged == 0);
  CHECK(f.State().lifetime_reserved == 400'000);
  CHECK(f.Apply(NoticeKind::kImpression, t).status == NoticeResult::Status::kApplied);
  CHECK(f.Apply(NoticeKind::kImpression, t).status == NoticeResult::Status::kDuplicate);
  CHECK_FALSE(f.money.frequency.Allows(99, f.campaign, kNow));
  CHECK(f.money.ctr.Counts("c", "c-banner", "com.example").impressions == 1);
  NoticeResult click = f.Apply(NoticeKind::kClick, t);
  CHECK(click.effect.charged == 400'000);
  CHECK(f.State().lifetime_settled == 400'000);
  CHECK(f.State().lifetime_reserved == 0);
  CHECK(f.Apply(NoticeKind::kClick, t).status == NoticeResult::Status::kDuplicate);
  CHECK(f.money.ctr.Counts("c", "c-banner", "com.example").clicks == 1);
}

TEST_CASE("COPPA: a child-directed bid's notices count per app, never per user") {
  // Its tokens carry user 0 (the pipeline's WithholdChildData): the impression and click feed
  // the campaign's counts and the per-app CTR model, and leave no frequency entry or user hash.
  Fixture f;
  NoticeToken t = f.Token("b1", 2 * kDollar);
  t.user = 0;
  const NoticeResult imp = f.Apply(NoticeKind::kImpression, t);
  REQUIRE(imp.status == NoticeResult::Status::kApplied);
  CHECK(imp.effect.user == 0);
  CHECK(f.Apply(NoticeKind::kClick, t).effect.user == 0);
  CHECK(f.money.frequency.size() == 0);
  CHECK(f.money.ctr.Counts("c", "c-banner", "com.example").impressions == 1);
  CHECK(f.money.ctr.Counts("c", "c-banner", "com.example").clicks == 1);
  CHECK(f.money.ledger.Account("c").impressions.load() == 1);
}

TEST_CASE("a loss releases the reservation") {
  Fixture f;
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, 2'000, kNow));
  CHECK(f.Apply(NoticeKind::kLoss, f.Token("b1", 2 * kDollar)).status ==
        NoticeResult::Status::kApplied);
  CHECK(f.State().lifetime_reserved == 0);
  CHECK(f.Apply(NoticeKind::kLoss, f.Token("b1", 2 * kDollar)).status ==
        NoticeResult::Status::kDuplicate);
}

TEST_CASE("replaying the effects rebuilds spend, counts and the duplicate filter") {
  Fixture f;
  std::vector<NoticeEffect> effects;
  for (int i = 0; i < 5; ++i) {
    const std::string bid = "b" + std::to_string(i);
    REQUIRE(f.money.ledger.Reserve(bid, f.campaign, 2'000, kNow));
    NoticeResult r = f.Apply(NoticeKind::kBill, f.Token(bid, 2 * kDollar));
    effects.push_back(r.effect);
  }
  MoneyState restored;
  NoticeBook book(restored);
  for (const NoticeEffect& e : effects) {
    NoticeEffect decoded;
    REQUIRE(DecodeEffect(EncodeEffect(e), &decoded).ok());
    CHECK(decoded == e);
    book.Replay(decoded, kNow + absl::Seconds(1));
  }
  const AccountState s = restored.ledger.Account("c").State(kNow);
  CHECK(s.lifetime_settled == 10'000);
  CHECK(restored.ledger.Account("c").impressions.load() == 5);
  // Within the tokens' lifetime a repeated notice is still a duplicate after the restart.
  CHECK(book.Apply(Notice{NoticeKind::kWin, f.Token("b3", 2 * kDollar), {}},
                   BudgetLimits::Of(f.campaign), kNow + absl::Seconds(2))
            .status == NoticeResult::Status::kDuplicate);
  CHECK(book.Expire(kNow + absl::Seconds(60)) == 5);
  // Malformed journal bytes are refused, not trusted.
  CHECK_FALSE(DecodeEffect("\x09garbage", &effects[0]).ok());
  CHECK_FALSE(DecodeEffect(EncodeEffect(effects[1]) + "x", &effects[0]).ok());
}

TEST_CASE("after a restart a win without its reservation is charged only if the budget allows") {
  Fixture f;
  f.campaign.lifetime_budget = 3'000;
  CHECK(f.Apply(NoticeKind::kWin, f.Token("old1", 2 * kDollar)).effect.charged == 2'000);
  NoticeResult r = f.Apply(NoticeKind::kWin, f.Token("old2", 2 * kDollar));
  CHECK(r.status == NoticeResult::Status::kOverBudget);
  CHECK(r.effect.charged == 0);
  CHECK(f.State().lifetime_settled == 2'000);
}

TEST_CASE("fleet: a leased bid is charged by log time, on every node alike") {
  constexpr uint64_t kThisNode = 0x11;
  const LeaseTerms terms{.notice_window = absl::Seconds(60), .late_allowance = absl::Seconds(2)};
  Fixture holder;  // the node that made the bid
  Fixture other;   // a node that holds no reservation for it
  holder.money.ledger.RequireLeases(kThisNode);
  other.money.ledger.RequireLeases(0x22);
  holder.book.UseLeases(terms);
  other.book.UseLeases(terms);
  holder.money.ledger.Account("c").GrantLease(1, 5'000, kNow + absl::Seconds(2));
  LeaseId lease;
  REQUIRE(holder.money.ledger.Reserve("b1", holder.campaign, 2'000, kNow, &lease));
  NoticeToken t = holder.Token("b1", 2 * kDollar);
  t.lease = lease;

  // Even a budget the node believes spent does not stop the charge: the lease holds its money.
  const BudgetLimits spent{.lifetime = 1};
  other.money.ledger.Account("c").Restore(1, DayOf(kNow), kNow);
  const absl::Time logged = kNow + absl::Seconds(61);
  for (Fixture* f : {&holder, &other}) {
    NoticeResult r = f->book.Apply(Notice{NoticeKind::kWin, t, 1'500'000}, spent, kNow, logged);
    CHECK(r.status == NoticeResult::Status::kApplied);
    CHECK(r.effect.charged == 1'500);
    CHECK(f->book.LeaseCharged({"c", lease}) == 1'500);
  }
  CHECK(holder.money.ledger.Account("c").Lease().outstanding == 3'500);
  CHECK(holder.money.ledger.Account("c").Lease().reserved == 0);

  // Logged after ChargeableUntil: counted as a win, never charged, on every node.
  NoticeToken late = t;
  late.bid_id = "b2";
  for (Fixture* f : {&holder, &other}) {
    NoticeResult r = f->book.Apply(Notice{NoticeKind::kWin, late, std::nullopt}, spent, kNow,
                                   terms.ChargeableUntil(kNow) + absl::Milliseconds(1));
    CHECK(r.status == NoticeResult::Status::kLate);
    CHECK(r.effect.charged == 0);
    CHECK(f->book.LeaseCharged({"c", lease}) == 1'500);
  }
}

TEST_CASE("fleet: a win after a loss of a leased bid charges nothing") {
  Fixture f;
  f.money.ledger.RequireLeases(1);
  f.book.UseLeases({});
  f.money.ledger.Account("c").GrantLease(1, 5'000, kNow + absl::Seconds(2));
  LeaseId lease;
  REQUIRE(f.money.ledger.Reserve("b1", f.campaign, 2'000, kNow, &lease));
  NoticeToken t = f.Token("b1", 2 * kDollar);
  t.lease = lease;
  // The loss gave the reservation back to the lease, which may lend it again.
  CHECK(f.book.Apply(Notice{NoticeKind::kLoss, t, {}}, BudgetLimits::Of(f.campaign), kNow, kNow)
            .status == NoticeResult::Status::kApplied);
  CHECK(f.book.Apply(Notice{NoticeKind::kWin, t, {}}, BudgetLimits::Of(f.campaign), kNow, kNow)
            .status == NoticeResult::Status::kDuplicate);
  CHECK(f.State().lifetime_settled == 0);
}

TEST_CASE("fleet: a budgeted bid without a lease is not charged") {
  Fixture f;
  f.money.ledger.RequireLeases(1);
  f.book.UseLeases({});
  const NoticeToken t = f.Token("from-before-leases", 2 * kDollar);
  CHECK(f.book.Apply(Notice{NoticeKind::kWin, t, {}}, BudgetLimits::Of(f.campaign), kNow, kNow)
            .status == NoticeResult::Status::kOverBudget);
  CHECK(f.State().lifetime_settled == 0);
  // Without a budget nothing can be overspent: charged as before.
  CHECK(f.book
            .Apply(Notice{NoticeKind::kWin, f.Token("unbudgeted", 2 * kDollar), {}}, BudgetLimits{},
                   kNow, kNow)
            .effect.charged == 2'000);
}

}  // namespace
}  // namespace vetrina::engine
