#include "adapters/money/spend_writer.h"

#include <catch2/catch.hpp>
#include <future>

#include "../../support/log_capture.h"
#include "../../support/memory_log.h"
#include "../../support/redis_log_node.h"
#include "../../support/redis_server.h"
#include "../../support/temp_dir.h"
#include "base/strings.h"
#include "engine/privacy/user_data.h"

namespace vetrina::money {
namespace {

using vetrina::testing::RedisLogNode;
using vetrina::testing::RedisServer;
using vetrina::testing::TempDir;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const engine::BudgetLimits kLimits{.daily = 0, .lifetime = 1'000'000'000};

engine::Notice Win(std::string bid, engine::Micros cpm) {
  engine::Notice notice;
  notice.kind = engine::NoticeKind::kWin;
  notice.token.bid_id = std::move(bid);
  notice.token.campaign_id = "c";
  notice.token.creative_id = "cr";
  notice.token.app = "app";
  notice.token.bid_price = cpm;
  notice.token.issued = kNow;
  notice.token.expires = kNow + absl::Seconds(60);
  return notice;
}

// Submits and waits for the completion; returns the notice's result and the durability status.
std::pair<engine::NoticeResult, absl::Status> SubmitAndWait(SpendWriter& writer,
                                                            const engine::Notice& notice) {
  std::promise<absl::StatusOr<engine::NoticeResult>> done;
  writer.Submit(notice, kLimits,
                [&](absl::StatusOr<engine::NoticeResult> r) { done.set_value(std::move(r)); });
  absl::StatusOr<engine::NoticeResult> r = done.get_future().get();
  if (!r.ok()) return {engine::NoticeResult{}, r.status()};
  return {*r, absl::OkStatus()};
}

TEST_CASE("acknowledged spend survives a reopen, and duplicates stay duplicates") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  {
    engine::MoneyState money;
    auto writer = SpendWriter::Open(dir.path.string(), money, clock);
    REQUIRE(writer.ok());
    (*writer)->Start();
    for (int i = 0; i < 10; ++i) {
      auto [r, durable] = SubmitAndWait(**writer, Win(StrCat("b", i), 2'000'000));
      CHECK(r.status == engine::NoticeResult::Status::kApplied);
      CHECK(durable.ok());
    }
    auto [dup, durable] = SubmitAndWait(**writer, Win("b3", 2'000'000));
    CHECK(dup.status == engine::NoticeResult::Status::kDuplicate);
    CHECK(durable.ok());
    CHECK(money.ledger.Account("c").State(kNow).lifetime_settled == 20'000);
  }
  engine::MoneyState money;
  auto writer = SpendWriter::Open(dir.path.string(), money, clock);
  REQUIRE(writer.ok());
  CHECK((*writer)->replayed_effects() == 10);
  CHECK(money.ledger.Account("c").State(kNow).lifetime_settled == 20'000);
  CHECK(money.ledger.Account("c").wins.load() == 10);
  (*writer)->Start();
  CHECK(SubmitAndWait(**writer, Win("b7", 2'000'000)).first.status ==
        engine::NoticeResult::Status::kDuplicate);
  CHECK(SubmitAndWait(**writer, Win("b10", 2'000'000)).first.status ==
        engine::NoticeResult::Status::kApplied);
}

TEST_CASE("concurrent notices are committed in groups, each acknowledged once durable") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  engine::MoneyState money;
  auto writer = SpendWriter::Open(dir.path.string(), money, clock);
  REQUIRE(writer.ok());
  (*writer)->Start();
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> acknowledged{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (SubmitAndWait(**writer, Win(StrCat(t, "-", i), 1'000'000)).second.ok()) {
          acknowledged.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(acknowledged.load() == kThreads * kPerThread);
  // Fewer fsyncs than notices: threads waiting together share one.
  CHECK((*writer)->durable_batches() < static_cast<uint64_t>(kThreads * kPerThread));
  CHECK(money.ledger.Account("c").State(kNow).lifetime_settled == kThreads * kPerThread * 1'000);
}

TEST_CASE("compaction keeps spend, counts, CTR and the duplicate filter") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  {
    engine::MoneyState money;
    auto writer = SpendWriter::Open(dir.path.string(), money, clock, /*compact_after=*/2048);
    REQUIRE(writer.ok());
    (*writer)->Start();
    for (int i = 0; i < 200; ++i) {
      SubmitAndWait(**writer, Win(StrCat("b", i), 1'000'000));
      engine::Notice imp = Win(StrCat("b", i), 1'000'000);
      imp.kind = engine::NoticeKind::kImpression;
      imp.token.user = 77;
      SubmitAndWait(**writer, imp);
    }
    CHECK((*writer)->compactions() > 0);
  }
  engine::MoneyState money;
  auto writer = SpendWriter::Open(dir.path.string(), money, clock);
  REQUIRE(writer.ok());
  CHECK(money.ledger.Account("c").State(kNow).lifetime_settled == 200 * 1'000);
  CHECK(money.ledger.Account("c").wins.load() == 200);
  CHECK(money.ledger.Account("c").impressions.load() == 200);
  CHECK(money.ctr.Counts("c", "cr", "app").impressions == 200);
  engine::Campaign capped;
  capped.id = "c";
  capped.frequency_caps = {{.max = 200, .per = engine::CapPeriod::kDay}};
  CHECK_FALSE(money.frequency.Allows(77, capped, kNow));
  (*writer)->Start();
  CHECK(SubmitAndWait(**writer, Win("b150", 1'000'000)).first.status ==
        engine::NoticeResult::Status::kDuplicate);
}

TEST_CASE("retention: user hashes leave the journal once their counts expire; spend stays") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  {
    engine::MoneyState money;
    auto writer = SpendWriter::Open(dir.path.string(), money, clock);
    REQUIRE(writer.ok());
    (*writer)->Start();
    engine::Notice imp = Win("b1", 1'000'000);
    imp.kind = engine::NoticeKind::kImpression;
    imp.token.user = 77;
    REQUIRE(SubmitAndWait(**writer, imp).second.ok());
    // Past the longest cap period and a day since the journal was last written whole: the next
    // notice finds it rewritten as the state, which no longer counts user 77.
    clock.Advance(engine::retention::kFrequencyCounts + engine::retention::kJournalCompactEvery);
    engine::Notice later = Win("b2", 1'000'000);
    later.token.issued = clock.Now();
    later.token.expires = clock.Now() + absl::Seconds(60);
    REQUIRE(SubmitAndWait(**writer, later).second.ok());
    CHECK((*writer)->compactions() == 1);
    CHECK(money.frequency.size() == 0);
  }
  // Read back as of the impression's own time, when its count would still be live.
  vetrina::ManualClock then(kNow);
  engine::MoneyState money;
  auto writer = SpendWriter::Open(dir.path.string(), money, then);
  REQUIRE(writer.ok());
  CHECK(money.frequency.size() == 0);
  CHECK(money.ctr.Counts("c", "cr", "app").impressions == 1);  // per app, tied to no user
  CHECK(money.ledger.Account("c").impressions.load() == 1);
}

TEST_CASE("retention: a journal rewritten less than a day ago keeps its records") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  engine::MoneyState money;
  auto writer = SpendWriter::Open(dir.path.string(), money, clock);
  REQUIRE(writer.ok());
  (*writer)->Start();
  REQUIRE(SubmitAndWait(**writer, Win("b1", 1'000'000)).second.ok());
  clock.Advance(engine::retention::kJournalCompactEvery - absl::Minutes(1));
  engine::Notice later = Win("b2", 1'000'000);
  later.token.issued = clock.Now();
  later.token.expires = clock.Now() + absl::Seconds(60);
  REQUIRE(SubmitAndWait(**writer, later).second.ok());
  CHECK((*writer)->compactions() == 0);
}

TEST_CASE("the writer releases expired reservations") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  engine::MoneyState money(absl::Seconds(60));
  auto writer = SpendWriter::Open(dir.path.string(), money, clock);
  REQUIRE(writer.ok());
  engine::Campaign c;
  c.id = "c";
  c.lifetime_budget = 1'000;
  REQUIRE(money.ledger.Reserve("b", c, 1'000, kNow));
  (*writer)->Expire();
  CHECK(money.ledger.open_reservations() == 1);
  clock.Advance(absl::Seconds(61));
  (*writer)->Expire();
  CHECK(money.ledger.open_reservations() == 0);
  CHECK(money.ledger.Account("c").State(clock.Now()).lifetime_reserved == 0);
}

// A fleet node: its own money state and writer on the shared "notices" log.
struct MoneyNode {
  MoneyNode(const RedisServer& server, const vetrina::Clock& clock, std::string id,
            bool start = true, size_t compact_after_bytes = SpendWriter::kCompactAfterBytes)
      : redis(server) {
    SpendWriter::Options options;
    options.open_log = redis.Opener("notices");
    options.node_id = std::move(id);
    options.compact_after_bytes = compact_after_bytes;
    auto opened = SpendWriter::Open(dir.path.string(), money, clock, std::move(options));
    REQUIRE(opened.ok());
    writer = *std::move(opened);
    if (start) writer->Start();
  }
  engine::Micros spent() { return money.ledger.Account("c").State(kNow).lifetime_settled; }

  TempDir dir;
  RedisLogNode redis;
  engine::MoneyState money;
  SpendWriterPtr writer;
};

TEST_CASE("fleet: a notice is applied once across nodes, and a new node restores the same state",
          "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  MoneyNode a(server, clock, "a"), b(server, clock, "b");
  auto [won, durable] = SubmitAndWait(*a.writer, Win("b1", 2'000'000));
  REQUIRE(durable.ok());
  CHECK(won.status == engine::NoticeResult::Status::kApplied);
  CHECK(won.effect.charged == 2'000);
  auto [again, durable_again] = SubmitAndWait(*b.writer, Win("b1", 2'000'000));
  REQUIRE(durable_again.ok());
  CHECK(again.status == engine::NoticeResult::Status::kDuplicate);
  CHECK(again.bid_charged == 2'000);
  // A follows B's duplicate (its own next notice follows past it): nothing changes.
  REQUIRE(SubmitAndWait(*a.writer, Win("b2", 1'000'000)).second.ok());
  REQUIRE(SubmitAndWait(*b.writer, Win("b3", 1'000'000)).second.ok());
  REQUIRE(SubmitAndWait(*a.writer, Win("b2", 1'000'000)).second.ok());
  CHECK(a.spent() == 4'000);
  CHECK(b.spent() == 4'000);
  CHECK(a.money.ledger.Account("c").wins.load() == 3);
  CHECK(b.money.ledger.Account("c").wins.load() == 3);

  MoneyNode c(server, clock, "c");
  CHECK(c.spent() == 4'000);
  CHECK(c.money.ledger.Account("c").wins.load() == 3);
  CHECK(SubmitAndWait(*c.writer, Win("b3", 1'000'000)).first.status ==
        engine::NoticeResult::Status::kDuplicate);
}

TEST_CASE("fleet: while Redis is down notices fail with its error, and work once it is back",
          "[fleet]") {
  vetrina::testing::LogCapture log;  // outlives the writer's thread
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  MoneyNode a(server, clock, "a");
  server.Stop();
  const absl::Status down = SubmitAndWait(*a.writer, Win("b1", 2'000'000)).second;
  CHECK((absl::IsUnavailable(down) || absl::IsDeadlineExceeded(down)));
  server.Start();
  REQUIRE(a.redis.link.WaitConnected(absl::Seconds(10)));
  auto [result, durable] = SubmitAndWait(*a.writer, Win("b2", 2'000'000));
  CHECK(durable.ok());
  CHECK(result.status == engine::NoticeResult::Status::kApplied);
  // The outage is logged once, with its status, and so is the recovery.
  const std::vector<std::string> failed = log.Lines("shared_log_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].find("\"level\":\"warn\"") != std::string::npos);
  CHECK(failed[0].find("\"store\":\"notices\"") != std::string::npos);
  CHECK(failed[0].find("\"status\":\"") != std::string::npos);
  CHECK(log.Count("shared_log_resumed") == 1);
}

TEST_CASE("fleet: a node that missed records a compaction removed reloads the same state",
          "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  MoneyNode behind(server, clock, "behind", /*start=*/false);
  {
    MoneyNode a(server, clock, "a", /*start=*/true, /*compact_after_bytes=*/1024);
    for (int i = 0; i < 100; ++i) {
      REQUIRE(SubmitAndWait(*a.writer, Win(StrCat("b", i), 1'000'000)).second.ok());
    }
    REQUIRE(a.writer->compactions() > 0);
    CHECK(a.spent() == 100 * 1'000);
  }
  behind.writer->Start();  // its first follow finds the records it had not read compacted away
  auto [dup, durable] = SubmitAndWait(*behind.writer, Win("b7", 1'000'000));
  REQUIRE(durable.ok());
  CHECK(dup.status == engine::NoticeResult::Status::kDuplicate);
  CHECK(behind.spent() == 100 * 1'000);
  CHECK(behind.money.ledger.Account("c").wins.load() == 100);
}

TEST_CASE("fleet: retention: the spend stream keeps no user hash past its counts", "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  {
    MoneyNode a(server, clock, "a");
    engine::Notice imp = Win("b1", 1'000'000);
    imp.kind = engine::NoticeKind::kImpression;
    imp.token.user = 77;
    REQUIRE(SubmitAndWait(*a.writer, imp).second.ok());
    clock.Advance(engine::retention::kFrequencyCounts + engine::retention::kJournalCompactEvery);
    engine::Notice later = Win("b2", 1'000'000);
    later.token.issued = clock.Now();
    later.token.expires = clock.Now() + absl::Seconds(60);
    REQUIRE(SubmitAndWait(*a.writer, later).second.ok());
    CHECK(a.writer->compactions() == 1);
  }
  // A node reading the stream as of the impression's time finds only the aggregate counts.
  vetrina::ManualClock then(kNow);
  MoneyNode fresh(server, then, "fresh", /*start=*/false);
  CHECK(fresh.money.frequency.size() == 0);
  CHECK(fresh.money.ctr.Counts("c", "cr", "app").impressions == 1);
  CHECK(fresh.money.ledger.Account("c").impressions.load() == 1);
}

TEST_CASE("fleet: notices waiting for a shared log that does not answer are bounded") {
  vetrina::testing::SharedRecords records;
  vetrina::ManualClock clock(kNow);
  engine::MoneyState money;
  SpendWriter::Options options;
  options.open_log = vetrina::testing::MemoryLogOpener(records);
  options.node_id = "a";
  options.max_waiting = 2;
  auto writer = SpendWriter::Open("", money, clock, std::move(options));
  REQUIRE(writer.ok());
  (*writer)->Start();
  records.CloseGate();  // appends wait, as on a Redis that does not answer
  std::promise<absl::StatusOr<engine::NoticeResult>> first, second;
  (*writer)->Submit(Win("b1", 1'000'000), kLimits, [&](auto r) { first.set_value(std::move(r)); });
  (*writer)->Submit(Win("b2", 1'000'000), kLimits, [&](auto r) { second.set_value(std::move(r)); });
  auto [refused, status] = SubmitAndWait(**writer, Win("b3", 1'000'000));
  CHECK(absl::IsUnavailable(status));
  records.OpenGate();
  CHECK(first.get_future().get().ok());
  CHECK(second.get_future().get().ok());
  CHECK(money.ledger.Account("c").State(kNow).lifetime_settled == 2'000);
}

}  // namespace
}  // namespace vetrina::money
