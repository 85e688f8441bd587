#include "adapters/audiences/membership_writer.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "../../support/redis_log_node.h"
#include "../../support/redis_server.h"
#include "../../support/temp_dir.h"
#include "engine/privacy/user_data.h"

namespace vetrina::audiences {
namespace {

using vetrina::testing::RedisLogNode;
using vetrina::testing::RedisServer;
using vetrina::testing::TempDir;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::vector<engine::SegmentId> Segments(engine::AudienceStore& store, engine::EpochDomain& domain,
                                        std::string_view id, engine::Day today) {
  engine::EpochDomain::Reader reader(domain);
  engine::EpochDomain::ReadGuard guard(reader);
  std::vector<engine::SegmentId> out;
  store.Lookup(guard, *engine::KeyForId(id), today, &out);
  return out;
}

TEST_CASE("what the writer acknowledges is in the store and survives a reopen") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  {
    engine::EpochDomain domain;
    engine::AudienceStore store(domain, 1);
    auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
    REQUIRE(writer.ok());
    (*writer)->Start();
    const uint64_t ticket = (*writer)->Submit(
        {{*engine::KeyForId("alice"), 3, today + 10}, {*engine::KeyForId("bob"), 4, today + 10}});
    REQUIRE((*writer)->WaitDurable(ticket).ok());
    CHECK(Segments(store, domain, "alice", today) == std::vector<engine::SegmentId>{3});
    REQUIRE(
        (*writer)->WaitDurable((*writer)->Submit({{*engine::KeyForId("bob"), 4, 0, true}})).ok());
  }
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
  REQUIRE(writer.ok());
  CHECK((*writer)->replayed() == 3);
  CHECK(Segments(store, domain, "alice", today) == std::vector<engine::SegmentId>{3});
  CHECK(Segments(store, domain, "bob", today).empty());
}

TEST_CASE("the journal is compacted while running and still restores the same state") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  const std::string journal = (dir.path / "audiences.journal").string();
  {
    engine::EpochDomain domain;
    engine::AudienceStore store(domain, 1);
    auto writer = MembershipWriter::Open(dir.path.string(), store, clock, /*compact_after=*/4096);
    REQUIRE(writer.ok());
    (*writer)->Start();
    // The same 10 users flip in and out of a segment: the journal grows, the live state does not.
    for (int round = 0; round < 200; ++round) {
      std::vector<engine::AudienceUpdate> batch;
      for (int u = 0; u < 10; ++u) {
        batch.push_back({*engine::KeyForId("u" + std::to_string(u)), 7, today + 5, round % 2 == 1});
      }
      REQUIRE((*writer)->WaitDurable((*writer)->Submit(std::move(batch))).ok());
    }
    CHECK((*writer)->compactions() > 0);
    CHECK(std::filesystem::file_size(journal) < 200 * 10 * 25);
  }
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
  REQUIRE(writer.ok());
  CHECK(store.users() == 0);  // the last round removed everyone
}

TEST_CASE("retention: expired memberships leave the journal within a day of their expiry") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  {
    engine::EpochDomain domain;
    engine::AudienceStore store(domain, 1);
    auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
    REQUIRE(writer.ok());
    (*writer)->Start();
    REQUIRE((*writer)
                ->WaitDurable((*writer)->Submit({{*engine::KeyForId("short"), 3, today + 1},
                                                 {*engine::KeyForId("long"), 4, today + 30}}))
                .ok());
    // Well past the short membership's expiry, and a day since the journal was last written
    // whole: the next batch the writer takes finds it rewritten as the live memberships.
    clock.Advance(absl::Hours(24) * 2 + engine::retention::kJournalCompactEvery);
    REQUIRE((*writer)->WaitDurable((*writer)->Submit({})).ok());
    CHECK((*writer)->compactions() == 1);
    CHECK(store.users() == 1);  // swept from memory too
  }
  // Read back as of the day it was written, the journal no longer holds the expired membership.
  vetrina::ManualClock then(kNow);
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, then);
  REQUIRE(writer.ok());
  CHECK((*writer)->replayed() == 1);
  CHECK(Segments(store, domain, "short", today).empty());
  CHECK(Segments(store, domain, "long", today) == std::vector<engine::SegmentId>{4});
}

TEST_CASE("retention: a journal rewritten less than a day ago is left alone") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
  REQUIRE(writer.ok());
  (*writer)->Start();
  REQUIRE((*writer)->WaitDurable((*writer)->Submit({{*engine::KeyForId("u"), 3, today + 1}})).ok());
  clock.Advance(engine::retention::kJournalCompactEvery - absl::Minutes(1));
  REQUIRE((*writer)->WaitDurable((*writer)->Submit({})).ok());
  CHECK((*writer)->compactions() == 0);
}

// A fleet node: its own store and writer on the shared "audiences" log.
struct AudienceNode {
  AudienceNode(const RedisServer& server, const vetrina::Clock& clock, bool start = true,
               size_t compact_after_bytes = MembershipWriter::kCompactAfterBytes)
      : redis(server), store(domain, 1) {
    auto opened = MembershipWriter::Open(dir.path.string(), store, clock, compact_after_bytes,
                                         redis.Opener("audiences"));
    REQUIRE(opened.ok());
    writer = *std::move(opened);
    if (start) writer->Start();
  }
  // Returns once everything appended to the log before the call is in this node's store: an
  // empty submit is a follow that its ticket waits for.
  absl::Status CatchUp() { return writer->WaitDurable(writer->Submit({})); }

  TempDir dir;
  RedisLogNode redis;
  engine::EpochDomain domain;
  engine::AudienceStore store;
  MembershipWriterPtr writer;
};

TEST_CASE("fleet: an upload through one node and a pixel event on another reach both stores",
          "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  AudienceNode a(server, clock), b(server, clock);

  REQUIRE(
      a.writer->WaitDurable(a.writer->Submit({{*engine::KeyForId("alice"), 3, today + 10}})).ok());
  CHECK(Segments(a.store, a.domain, "alice", today) == std::vector<engine::SegmentId>{3});
  REQUIRE(b.CatchUp().ok());
  CHECK(Segments(b.store, b.domain, "alice", today) == std::vector<engine::SegmentId>{3});

  REQUIRE(b.writer->TrySubmit({{*engine::KeyForId("bob"), 4, today + 10}}));
  REQUIRE(b.CatchUp().ok());  // B's pixel event is in the log
  REQUIRE(a.CatchUp().ok());
  CHECK(Segments(a.store, a.domain, "bob", today) == std::vector<engine::SegmentId>{4});

  // A node that joins later loads the same memberships from the log.
  AudienceNode c(server, clock);
  CHECK(Segments(c.store, c.domain, "alice", today) == std::vector<engine::SegmentId>{3});
  CHECK(Segments(c.store, c.domain, "bob", today) == std::vector<engine::SegmentId>{4});
}

TEST_CASE(
    "fleet: while Redis is down uploads fail with its error and pixel events wait; both work once "
    "it is back",
    "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  AudienceNode a(server, clock);
  server.Stop();
  REQUIRE(a.writer->TrySubmit({{*engine::KeyForId("erin"), 8, today + 10}}));  // a pixel event
  const absl::Status down =
      a.writer->WaitDurable(a.writer->Submit({{*engine::KeyForId("carol"), 5, today + 10}}));
  CHECK((absl::IsUnavailable(down) || absl::IsDeadlineExceeded(down)));
  server.Start();
  REQUIRE(a.redis.link.WaitConnected(absl::Seconds(10)));
  // The pixel event waited in the queue; the upload's client was told, and retries.
  CHECK(Segments(a.store, a.domain, "erin", today).empty());
  const absl::Status back =
      a.writer->WaitDurable(a.writer->Submit({{*engine::KeyForId("dave"), 6, today + 10}}));
  CHECK(back.ok());
  CHECK(Segments(a.store, a.domain, "dave", today) == std::vector<engine::SegmentId>{6});
  CHECK(Segments(a.store, a.domain, "erin", today) == std::vector<engine::SegmentId>{8});
  CHECK(Segments(a.store, a.domain, "carol", today).empty());
  CHECK(a.writer->dropped() == 0);
}

TEST_CASE("fleet: retention: the audience stream drops expired memberships within a day",
          "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  {
    AudienceNode a(server, clock);
    REQUIRE(a.writer
                ->WaitDurable(a.writer->Submit({{*engine::KeyForId("short"), 3, today + 1},
                                                {*engine::KeyForId("long"), 4, today + 30}}))
                .ok());
    clock.Advance(absl::Hours(24) * 2 + engine::retention::kJournalCompactEvery);
    REQUIRE(a.CatchUp().ok());
    CHECK(a.writer->compactions() == 1);
  }
  // A node reading the stream as of the day it was written finds only the live membership.
  vetrina::ManualClock then(kNow);
  AudienceNode fresh(server, then, /*start=*/false);
  CHECK(fresh.writer->replayed() == 1);
  CHECK(Segments(fresh.store, fresh.domain, "short", today).empty());
  CHECK(Segments(fresh.store, fresh.domain, "long", today) == std::vector<engine::SegmentId>{4});
}

TEST_CASE("fleet: a node that missed records a compaction removed reloads the same memberships",
          "[fleet]") {
  RedisServer server;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = engine::AudienceDay(clock.Now());
  auto round = [&](int r) {
    std::vector<engine::AudienceUpdate> batch;
    for (int u = 0; u < 10; ++u) {
      batch.push_back({*engine::KeyForId("u" + std::to_string(u)), 7, today + 5, r % 2 == 1});
    }
    batch.push_back({*engine::KeyForId("stays"), static_cast<engine::SegmentId>(r % 3), today + 5});
    return batch;
  };
  AudienceNode a(server, clock, /*start=*/true, /*compact_after_bytes=*/4096);
  REQUIRE(a.writer->WaitDurable(a.writer->Submit(round(0))).ok());
  AudienceNode behind(server, clock, /*start=*/false);  // has read round 0: u0..u9 in segment 7
  CHECK(behind.store.users() == 11);
  for (int r = 1; r < 200; ++r) REQUIRE(a.writer->WaitDurable(a.writer->Submit(round(r))).ok());
  CHECK(a.store.users() == 1);  // the last round removed u0..u9
  // Then only "stays" changes, until a compaction drops the removals from the log.
  const size_t compactions = a.writer->compactions();
  for (int r = 0; a.writer->compactions() == compactions; ++r) {
    REQUIRE(r < 10'000);
    REQUIRE(
        a.writer
            ->WaitDurable(a.writer->Submit(
                {{*engine::KeyForId("stays"), static_cast<engine::SegmentId>(r % 3), today + 5}}))
            .ok());
  }

  behind.writer->Start();  // its first follow finds the records it had not read compacted away
  REQUIRE(behind.CatchUp().ok());
  CHECK(behind.store.users() == 1);
  CHECK(Segments(behind.store, behind.domain, "u3", today).empty());
  CHECK(Segments(behind.store, behind.domain, "stays", today) ==
        Segments(a.store, a.domain, "stays", today));
}

}  // namespace
}  // namespace vetrina::audiences
