#include "adapters/money/lease_keeper.h"

#include <catch2/catch.hpp>
#include <future>
#include <map>

#include "../../support/redis_log_node.h"
#include "../../support/redis_server.h"
#include "../../support/temp_dir.h"
#include "adapters/fleet/money_functions.h"
#include "base/strings.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::money {
namespace {

using vetrina::testing::RedisLogNode;
using vetrina::testing::RedisServer;
using vetrina::testing::TempDir;

const engine::LeaseTerms kTerms{.notice_window = absl::Seconds(60),
                                .late_allowance = absl::Seconds(2)};

// A fleet node's money: its writer on the shared notices log (times stamped, as in serve) and
// its lease keeper, renewed by hand.
struct LeaseNode {
  LeaseNode(const RedisServer& server, const vetrina::Clock& clock, std::string id,
            std::vector<engine::Campaign> campaigns, engine::LeaseTerms terms = kTerms)
      : redis(server),
        money(kTerms.notice_window, kTerms.notice_window + kTerms.late_allowance),
        campaigns(std::move(campaigns)) {
    SpendWriter::Options options;
    options.open_log = [this](const storage::RecordLog::ReplayFn& replay)
        -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
      auto log = fleet::RedisLog::Open(redis.link, "notices", replay, {.stamp_entry_times = true});
      if (!log.ok()) return log.status();
      return std::unique_ptr<storage::RecordLog>(*std::move(log));
    };
    options.node_id = std::move(id);
    options.leases = terms;
    auto opened = SpendWriter::Open(dir.path.string(), money, clock, std::move(options));
    REQUIRE(opened.ok());
    writer = *std::move(opened);
    writer->Start();
    keeper = std::make_unique<LeaseKeeper>(
        redis.link, money, *writer, clock,
        [this] {
          std::vector<LeaseKeeper::Budgeted> out;
          for (const engine::Campaign& c : this->campaigns) {
            out.push_back({c.id, engine::BudgetLimits::Of(c)});
          }
          return out;
        },
        LeaseKeeper::Options{.terms = terms});
    REQUIRE(keeper->LoadFunctions().ok());
  }

  // A bid request asks for the campaign, then the keeper renews.
  void WantAndRenew(absl::Time now) {
    vetrina::Rng rng(1);
    money.ledger.Account(campaigns[0].id).Admit(campaigns[0], now, rng);
    keeper->RenewOnce();
  }

  // Reserves a bid of `cost` and returns its win notice; nullopt when the lease cannot hold it.
  std::optional<engine::Notice> Bid(const std::string& bid_id, engine::Micros cost,
                                    absl::Time now) {
    engine::LeaseId lease;
    if (!money.ledger.Reserve(bid_id, campaigns[0], cost, now, &lease)) return std::nullopt;
    engine::Notice notice;
    notice.kind = engine::NoticeKind::kWin;
    notice.token.bid_id = bid_id;
    notice.token.campaign_id = campaigns[0].id;
    notice.token.creative_id = "cr";
    notice.token.app = "app";
    notice.token.bid_price = cost * 1000;
    notice.token.lease = lease;
    notice.token.issued = now;
    notice.token.expires = now + kTerms.notice_window;
    return notice;
  }

  absl::StatusOr<engine::NoticeResult> Submit(const engine::Notice& notice) {
    std::promise<absl::StatusOr<engine::NoticeResult>> done;
    writer->Submit(notice, engine::BudgetLimits::Of(campaigns[0]),
                   [&](absl::StatusOr<engine::NoticeResult> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  TempDir dir;
  RedisLogNode redis;
  engine::MoneyState money;
  std::vector<engine::Campaign> campaigns;
  SpendWriterPtr writer;
  std::unique_ptr<LeaseKeeper> keeper;
};

// The account's hash in Redis, numbers by field.
std::map<std::string, int64_t> Account(const redis::RedisLink& link, const std::string& id) {
  const std::string key = fleet::AccountKey(id);
  absl::StatusOr<redis::RedisReply> r = link.Call(key, {"HGETALL", key});
  REQUIRE(r.ok());
  std::map<std::string, int64_t> fields;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    fields[r->elements[i].str] = std::stoll(r->elements[i + 1].str);
  }
  return fields;
}

// settled + every lease's outstanding, lifetime.
int64_t Committed(const std::map<std::string, int64_t>& account) {
  int64_t sum = account.at("settled_life");
  for (const auto& [field, value] : account) {
    if (field.starts_with("l:") && field.ends_with(":out")) sum += value;
  }
  return sum;
}

size_t Leases(const std::map<std::string, int64_t>& account) {
  size_t n = 0;
  for (const auto& [field, value] : account)
    n += field.starts_with("l:") && field.ends_with(":out");
  return n;
}

engine::Campaign Budgeted(engine::Micros lifetime) {
  engine::Campaign c = engine::testing::BannerCampaign("c", engine::testing::kDollar);
  c.lifetime_budget = lifetime;
  return c;
}

TEST_CASE("fleet leases: a node bids within its lease and commits what it was charged", "[fleet]") {
  RedisServer server;
  vetrina::RealClock clock;
  LeaseNode a(server, clock, "a", {Budgeted(100'000)});
  a.WantAndRenew(clock.Now());
  // A quarter of what is free, as the first slice asked for more than that.
  const engine::LeaseState lease = a.money.ledger.Account("c").Lease();
  CHECK(lease.outstanding == 10'000);  // the first slice: one cent
  CHECK(lease.bid_until > clock.Now());

  std::optional<engine::Notice> won = a.Bid("b1", 4'000, clock.Now());
  REQUIRE(won.has_value());
  REQUIRE(a.Bid("b2", 4'000, clock.Now()).has_value());
  CHECK_FALSE(a.Bid("b3", 4'000, clock.Now()).has_value());  // 12,000 > the lease
  won->reported_price = 3'000'000;
  absl::StatusOr<engine::NoticeResult> charged = a.Submit(*won);
  REQUIRE(charged.ok());
  CHECK(charged->effect.charged == 3'000);

  a.keeper->RenewOnce();
  std::map<std::string, int64_t> account = Account(a.redis.link, "c");
  CHECK(account.at("settled_life") == 3'000);
  CHECK(Committed(account) <= 100'000);
  const std::optional<LeaseKeeper::AccountView> view = a.keeper->View("c");
  REQUIRE(view.has_value());
  CHECK(view->settled_lifetime == 3'000);
  CHECK(view->leases == 1);
  // The node asked for more after seeing its bids refused: two largest bids at least.
  CHECK(a.money.ledger.Account("c").Lease().room() >= 8'000);
}

TEST_CASE("fleet leases: nodes spending one small budget together never pass it", "[fleet]") {
  RedisServer server;
  vetrina::RealClock clock;
  constexpr engine::Micros kBudget = 50'000;
  LeaseNode a(server, clock, "a", {Budgeted(kBudget)});
  LeaseNode b(server, clock, "b", {Budgeted(kBudget)});
  int bids = 0;
  engine::Micros charged = 0;
  for (int round = 0; round < 40; ++round) {
    for (LeaseNode* node : {&a, &b}) {
      node->WantAndRenew(clock.Now());
      for (;;) {
        ++bids;
        std::optional<engine::Notice> won =
            node->Bid(StrCat("bid-", bids), 1'000 + (bids % 7) * 100, clock.Now());
        if (!won) break;
        // The other node reports it: the charge is the lease's, wherever it is applied.
        LeaseNode* reporter = bids % 2 == 0 ? &a : &b;
        absl::StatusOr<engine::NoticeResult> r = reporter->Submit(*won);
        REQUIRE(r.ok());
        charged += r->effect.charged;
      }
      const std::map<std::string, int64_t> account = Account(a.redis.link, "c");
      INFO("round " << round);
      REQUIRE(Committed(account) <= kBudget);
    }
  }
  // Each node's own next notice completes once its follow has read every notice before it: then
  // each commits everything its lease was charged.
  for (LeaseNode* node : {&a, &b}) {
    engine::Notice shown;
    shown.kind = engine::NoticeKind::kImpression;
    shown.token.bid_id = StrCat("shown-", node->writer->incarnation());
    shown.token.campaign_id = "c";
    shown.token.issued = clock.Now();
    shown.token.expires = clock.Now() + kTerms.notice_window;
    REQUIRE(node->Submit(shown).ok());
    node->keeper->RenewOnce();
  }
  const std::map<std::string, int64_t> account = Account(a.redis.link, "c");
  CHECK(account.at("settled_life") == charged);
  CHECK(charged <= kBudget);
  CHECK(charged >= kBudget - 2 * 1'600);  // spent to the last few bids' worth
  CHECK(a.money.ledger.Account("c").State(clock.Now()).lifetime_settled == charged);
  CHECK(b.money.ledger.Account("c").State(clock.Now()).lifetime_settled == charged);
}

TEST_CASE("fleet leases: a dead node's lease is closed with the charges every node read",
          "[fleet]") {
  RedisServer server;
  vetrina::RealClock real_clock;
  // The dead node's clock runs behind Redis' by nearly its notice window (tokens carry whole
  // seconds: 4 s short of it keeps its notice in time), and its leases last
  // 100 ms: its hold passes a few seconds after its bid's notice is logged (still in time).
  const engine::LeaseTerms short_terms{.notice_window = kTerms.notice_window,
                                       .late_allowance = kTerms.late_allowance,
                                       .term = absl::Milliseconds(100)};
  vetrina::ManualClock behind(real_clock.Now() - kTerms.notice_window - kTerms.late_allowance +
                              absl::Seconds(4));
  auto dead = std::make_unique<LeaseNode>(server, behind, "dead", std::vector{Budgeted(100'000)},
                                          short_terms);
  dead->WantAndRenew(behind.Now());
  std::optional<engine::Notice> won = dead->Bid("b1", 5'000, behind.Now());
  REQUIRE(won.has_value());
  LeaseNode live(server, real_clock, "live", {Budgeted(100'000)});
  // The live node takes the dead node's notice: charged to the dead node's lease.
  absl::StatusOr<engine::NoticeResult> charged = live.Submit(*won);
  REQUIRE(charged.ok());
  REQUIRE(charged->effect.charged == 5'000);
  const std::string dead_lease = engine::LeaseName(won->token.lease);
  dead.reset();  // gone without handing its lease back
  CHECK(Account(live.redis.link, "c").contains(StrCat("l:", dead_lease, ":out")));

  // Renewals see the dead lease expired once Redis' clock passes its hold; the next one after
  // the follow has read past that moment closes it.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (live.keeper->closed_leases() == 0 && absl::Now() < deadline) {
    live.WantAndRenew(real_clock.Now());
    absl::SleepFor(absl::Milliseconds(20));
  }
  CHECK(live.keeper->closed_leases() == 1);
  const std::map<std::string, int64_t> account = Account(live.redis.link, "c");
  CHECK_FALSE(account.contains(StrCat("l:", dead_lease, ":out")));
  CHECK(Leases(account) == 1);  // the live node's own
  CHECK(account.at("settled_life") == 5'000);
  CHECK(Committed(account) <= 100'000);
}

TEST_CASE("fleet leases: handing back keeps only what open bids need, and stops bidding",
          "[fleet]") {
  RedisServer server;
  vetrina::RealClock clock;
  LeaseNode a(server, clock, "a", {Budgeted(100'000)});
  a.WantAndRenew(clock.Now());
  REQUIRE(a.Bid("open", 2'500, clock.Now()).has_value());
  a.keeper->HandBack();
  const std::map<std::string, int64_t> account = Account(a.redis.link, "c");
  CHECK(Committed(account) == 2'500);
  CHECK_FALSE(a.Bid("after", 1, clock.Now()).has_value());
  CHECK(a.money.ledger.Account("c").Check(a.campaigns[0], clock.Now()) ==
        engine::NoBidReason::kLeaseExhausted);
}

TEST_CASE("fleet leases: without Redis a node bids within its lease until its deadline",
          "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(absl::Now());
  LeaseNode a(server, clock, "a", {Budgeted(100'000)});
  a.WantAndRenew(clock.Now());
  server.Stop();
  // Past half its term the lease needs renewing; the call fails and the deadline stays.
  clock.Advance(kTerms.term * 3 / 4);
  a.WantAndRenew(clock.Now());
  CHECK(a.keeper->failed_calls() >= 1);
  CHECK(a.Bid("within", 1'000, clock.Now()).has_value());
  clock.Advance(kTerms.term / 4);
  CHECK_FALSE(a.Bid("after", 1'000, clock.Now()).has_value());
}

TEST_CASE("fleet leases: Redis is called only for leases that need something", "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(absl::Now());
  LeaseNode a(server, clock, "a", {Budgeted(100'000)});
  a.keeper->RenewOnce();
  const uint64_t granted = a.keeper->redis_calls();
  CHECK(granted == 1);
  // Room enough, nothing charged, the deadline far: left out.
  a.WantAndRenew(clock.Now());
  CHECK(a.keeper->redis_calls() == granted);
  // Past half its term: extended.
  clock.Advance(kTerms.term * 3 / 4);
  a.WantAndRenew(clock.Now());
  CHECK(a.keeper->redis_calls() == granted + 1);
  CHECK(a.money.ledger.Account("c").Lease().bid_until > clock.Now() + kTerms.term / 2);
  // Charged: committed at the next renewal.
  std::optional<engine::Notice> won = a.Bid("b1", 1'000, clock.Now());
  REQUIRE(won.has_value());
  REQUIRE(a.Submit(*won).ok());
  a.keeper->RenewOnce();
  CHECK(a.keeper->redis_calls() == granted + 2);
  CHECK(Account(a.redis.link, "c").at("settled_life") == 1'000);
}

}  // namespace
}  // namespace vetrina::money
