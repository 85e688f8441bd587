#include "adapters/fleet/redis_log.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/redis_log_node.h"
#include "../../support/redis_server.h"
#include "adapters/redis/redis_url.h"

namespace vetrina::fleet {
namespace {

using vetrina::testing::RedisServer;

// A node: its own link to the server and what its log replayed.
struct Node {
  explicit Node(const RedisServer& server)
      : link({redis::RedisEndpoint{"127.0.0.1", server.port(), 0}},
             vetrina::testing::FastRedisLink()) {
    REQUIRE(link.WaitConnected(absl::Seconds(10)));
  }

  storage::RecordLog::ReplayFn Replay() {
    return [this](std::string_view record) {
      seen.emplace_back(record);
      return absl::OkStatus();
    };
  }

  std::unique_ptr<RedisLog> Open(RedisLog::Options options = {}, std::string name = "test") {
    absl::StatusOr<std::unique_ptr<RedisLog>> log =
        RedisLog::Open(link, std::move(name), Replay(), options);
    REQUIRE(log.ok());
    return *std::move(log);
  }

  redis::RedisLink link;
  std::vector<std::string> seen;
};

constexpr RedisLog::Options kConditional{.conditional_append = true};

TEST_CASE("two logs on one name see each other's records in order", "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  std::unique_ptr<RedisLog> log_b = b.Open(kConditional);
  CHECK(log_a->stream_key() == "vt:{test}:log");
  CHECK(log_a->last_id() == "0-0");

  REQUIRE(log_a->Append("one").ok());
  REQUIRE(log_a->Append("two").ok());
  CHECK(a.seen.empty());  // conditional appends are applied by their caller, not echoed
  CHECK_FALSE(log_a->echoes_appends());
  REQUIRE(log_b->Follow(b.Replay()).ok());
  CHECK(b.seen == std::vector<std::string>{"one", "two"});
  CHECK(log_b->last_id() == log_a->last_id());
  CHECK(log_b->size_bytes() == 6);
  CHECK(log_a->size_bytes() == 6);

  REQUIRE(log_b->Append("three").ok());
  REQUIRE(log_a->Follow(a.Replay()).ok());
  CHECK(a.seen == std::vector<std::string>{"three"});

  Node c(server);
  c.Open(kConditional);
  CHECK(c.seen == std::vector<std::string>{"one", "two", "three"});
  Node other(server);
  other.Open(kConditional, "other");
  CHECK(other.seen.empty());  // another name is another log
}

TEST_CASE("a conditional append aborts until the log has followed", "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  std::unique_ptr<RedisLog> log_b = b.Open(kConditional);

  REQUIRE(log_a->Append("from a").ok());
  absl::Status aborted = log_b->Append("from b");
  CHECK(absl::IsAborted(aborted));
  REQUIRE(log_b->Follow(b.Replay()).ok());
  CHECK(b.seen == std::vector<std::string>{"from a"});
  REQUIRE(log_b->Append("from b").ok());

  Node c(server);
  c.Open(kConditional);
  CHECK(c.seen == std::vector<std::string>{"from a", "from b"});  // the aborted one never landed
}

TEST_CASE("unconditional appends come back through Follow", "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open();
  std::unique_ptr<RedisLog> log_b = b.Open();
  CHECK(log_a->echoes_appends());

  REQUIRE(log_a->Append("a1").ok());
  REQUIRE(log_b->Append("b1").ok());
  REQUIRE(log_a->Append("a2").ok());
  CHECK(log_a->last_id() == "0-0");
  REQUIRE(log_a->Follow(a.Replay()).ok());
  REQUIRE(log_b->Follow(b.Replay()).ok());
  const std::vector<std::string> all = {"a1", "b1", "a2"};
  CHECK(a.seen == all);
  CHECK(b.seen == all);
}

TEST_CASE("an append onto a stream that lost entries makes the next Follow reload",
          "[fleet][redis_log]") {
  RedisServer server;
  Node a(server);
  std::unique_ptr<RedisLog> log = a.Open();
  REQUIRE(log->Append("before").ok());
  REQUIRE(log->Follow(a.Replay()).ok());
  // Redis restarted without its AOF: the log is gone. The next append's id alone would hide it.
  REQUIRE(a.link.Call("", {"FLUSHALL"}).ok());
  REQUIRE(log->Append("after").ok());
  CHECK(log->Follow(a.Replay()).code() == absl::StatusCode::kOutOfRange);
  a.seen.clear();
  REQUIRE(log->Reload(a.Replay()).ok());
  CHECK(a.seen == std::vector<std::string>{"after"});  // what Redis holds now
  REQUIRE(log->Follow(a.Replay()).ok());
}

TEST_CASE("Follow and Open read large records a few at a time, by bytes", "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  // Each read stops once its records reach 2.5 kB: at most three of these 1 kB records.
  const RedisLog::Options small_reads{.conditional_append = true, .follow_bytes = 2500};
  std::unique_ptr<RedisLog> log_a = a.Open(small_reads);
  std::unique_ptr<RedisLog> log_b = b.Open(small_reads);
  std::vector<std::string> written;
  for (int i = 0; i < 10; ++i) {
    written.push_back(std::string(1000, static_cast<char>('a' + i)));
    REQUIRE(log_a->Append(written.back()).ok());
  }
  REQUIRE(log_b->Follow(b.Replay()).ok());
  CHECK(b.seen == written);
  Node c(server);
  c.Open(small_reads);
  CHECK(c.seen == written);
}

TEST_CASE("Follow reads a stream longer than one batch", "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  const RedisLog::Options small_batches{.conditional_append = true, .follow_batch = 3};
  std::unique_ptr<RedisLog> log_a = a.Open(small_batches);
  std::unique_ptr<RedisLog> log_b = b.Open(small_batches);
  std::vector<std::string> written;
  for (int i = 0; i < 10; ++i) {
    written.push_back(std::to_string(i));
    REQUIRE(log_a->Append(written.back()).ok());
  }
  REQUIRE(log_b->Follow(b.Replay()).ok());
  CHECK(b.seen == written);
  Node c(server);
  c.Open(small_batches);
  CHECK(c.seen == written);
}

TEST_CASE("after a Rewrite a fresh Open reads the snapshot, then later records",
          "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  REQUIRE(log_a->Append("x=1").ok());
  REQUIRE(log_a->Append("x=2").ok());
  REQUIRE(log_a->Rewrite({"snapshot x=2"}).ok());
  CHECK(log_a->size_bytes() == std::string("snapshot x=2").size());
  REQUIRE(log_a->Append("y=1").ok());

  b.Open(kConditional);
  CHECK(b.seen == std::vector<std::string>{"snapshot x=2", "y=1"});
  // The records were staged a page at a time, then switched in: no staging list is left.
  absl::StatusOr<redis::RedisReply> staged = a.link.Call("", {"KEYS", "vt:{test}:snap:*"});
  REQUIRE(staged.ok());
  CHECK(staged->elements.empty());

  // An empty snapshot is a snapshot too.
  REQUIRE(log_a->Rewrite({}).ok());
  Node c(server);
  c.Open(kConditional);
  CHECK(c.seen.empty());
}

TEST_CASE("a log that had not read past a Rewrite gets OutOfRange, and Reload reads it all",
          "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  std::unique_ptr<RedisLog> log_b = b.Open(kConditional);
  REQUIRE(log_a->Append("r1").ok());
  REQUIRE(log_a->Append("r2").ok());
  REQUIRE(log_a->Rewrite({"snap"}).ok());
  REQUIRE(log_a->Append("r3").ok());

  CHECK(absl::IsOutOfRange(log_b->Follow(b.Replay())));
  CHECK(b.seen.empty());
  CHECK(absl::IsFailedPrecondition(log_b->Rewrite({"stale"})));  // never over a newer snapshot
  REQUIRE(log_b->Reload(b.Replay()).ok());
  CHECK(b.seen == std::vector<std::string>{"snap", "r3"});
  CHECK(log_b->last_id() == log_a->last_id());
  REQUIRE(log_b->Append("r4").ok());  // caught up: its conditional append lands
}

TEST_CASE("records are binary-safe and may be large", "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  const std::string with_nul("a\0b\r\n\xff", 6);
  std::string large(1 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 31 % 256);
  REQUIRE(log_a->Append(with_nul).ok());
  REQUIRE(log_a->Append(large).ok());
  REQUIRE(log_a->Append("").ok());
  const std::vector<std::string> written = {with_nul, large, ""};
  b.Open(kConditional);
  CHECK(b.seen == written);

  REQUIRE(log_a->Rewrite(written).ok());
  Node c(server);
  c.Open(kConditional);
  CHECK(c.seen == written);
}

TEST_CASE("a Rewrite at a head that already has its snapshot keeps that snapshot",
          "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server), c(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  std::unique_ptr<RedisLog> log_b = b.Open(kConditional);
  REQUIRE(log_a->Append("x").ok());
  REQUIRE(log_b->Follow(b.Replay()).ok());
  // Both nodes hold the same state at the same id: one snapshot names that head.
  REQUIRE(log_a->Rewrite({"state by a"}).ok());
  REQUIRE(log_b->Rewrite({"state by b"}).ok());
  c.Open(kConditional);
  CHECK(c.seen == std::vector<std::string>{"state by a"});
}

TEST_CASE("a snapshot of many records survives Lua's argument limits and is read in pages",
          "[fleet][redis_log]") {
  RedisServer server;
  Node a(server), b(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  std::vector<std::string> records;
  for (int i = 0; i < 20'000; ++i) records.push_back(std::to_string(i));
  REQUIRE(log_a->Rewrite(records).ok());
  b.Open(kConditional);
  CHECK(b.seen == records);
}

TEST_CASE("while Redis is down calls fail without crashing, and work once it is back",
          "[fleet][redis_log]") {
  RedisServer server;
  Node a(server);
  std::unique_ptr<RedisLog> log_a = a.Open(kConditional);
  REQUIRE(log_a->Append("before").ok());
  const std::string last = log_a->last_id();

  server.Stop();
  auto down = [](const absl::Status& s) {
    return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
  };
  CHECK(down(log_a->Append("during")));
  CHECK(down(log_a->Follow(a.Replay())));
  CHECK(down(log_a->Rewrite({"snap"})));
  CHECK(down(log_a->Reload(a.Replay())));
  CHECK(down(RedisLog::Open(a.link, "test", a.Replay(), kConditional).status()));
  CHECK(log_a->last_id() == last);
  CHECK(a.seen.empty());

  server.Start();  // without persistence: the restarted server is empty
  REQUIRE(a.link.WaitConnected(absl::Seconds(10)));
  // The log went back behind what this node read: it must reload, not carry on.
  CHECK(absl::IsAborted(log_a->Append("after")));
  CHECK(absl::IsOutOfRange(log_a->Follow(a.Replay())));
  REQUIRE(log_a->Reload(a.Replay()).ok());
  CHECK(log_a->last_id() == "0-0");
  REQUIRE(log_a->Append("after").ok());
  Node b(server);
  b.Open(kConditional);
  CHECK(b.seen == std::vector<std::string>{"after"});
}

}  // namespace
}  // namespace vetrina::fleet
