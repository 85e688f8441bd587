#include "adapters/redis/redis_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "../../support/redis_server.h"

namespace vetrina::redis {
namespace {

using vetrina::testing::RedisServer;
using Result = absl::StatusOr<RedisReply>;

// Runs `io` until `condition` holds or `limit` passes; a bound on waiting for the network, never a
// fixed sleep.
bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& condition,
              std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

RedisEndpoint EndpointOf(const RedisServer& server, int db = 0) {
  return {"127.0.0.1", server.port(), db};
}

RedisClient::Options FastReconnect() {
  RedisClient::Options options;
  options.reconnect_min = absl::Milliseconds(5);
  options.reconnect_max = absl::Milliseconds(100);
  return options;
}

// Sends one command and runs the loop until its reply.
Result Call(boost::asio::io_context& io, RedisClient& client, std::vector<std::string> args) {
  std::optional<Result> result;
  client.Command(std::move(args), [&](Result r) { result = std::move(r); });
  REQUIRE(RunUntil(io, [&] { return result.has_value(); }));
  return *std::move(result);
}

struct Connected {
  explicit Connected(const RedisServer& server, RedisClient::Options options = FastReconnect(),
                     int db = 0)
      : client(io, EndpointOf(server, db), options) {
    REQUIRE(RunUntil(io, [&] { return client.connected(); }));
  }
  boost::asio::io_context io;
  RedisClient client;
};

TEST_CASE("ReconnectBackoff doubles from min up to max, and Reset starts again") {
  ReconnectBackoff backoff(absl::Milliseconds(50), absl::Milliseconds(300));
  CHECK(backoff.Next() == absl::Milliseconds(50));
  CHECK(backoff.Next() == absl::Milliseconds(100));
  CHECK(backoff.Next() == absl::Milliseconds(200));
  CHECK(backoff.Next() == absl::Milliseconds(300));
  CHECK(backoff.Next() == absl::Milliseconds(300));
  backoff.Reset();
  CHECK(backoff.Next() == absl::Milliseconds(50));
}

TEST_CASE("SET then GET round-trips binary data, embedded NULs included") {
  RedisServer server;
  Connected c(server);
  const std::string key("k\0ey", 4);
  const std::string value("a\0b\r\n\xff$3\r\n", 11);
  Result set = Call(c.io, c.client, {"SET", key, value});
  REQUIRE(set.ok());
  CHECK(*set == RedisReply::Status("OK"));
  Result get = Call(c.io, c.client, {"GET", key});
  REQUIRE(get.ok());
  CHECK(*get == RedisReply::String(value));
  CHECK(get->str.size() == 11);
  // A key without the NUL is another key: nil.
  Result missing = Call(c.io, c.client, {"GET", "k"});
  REQUIRE(missing.ok());
  CHECK(*missing == RedisReply::Nil());
  Result incr = Call(c.io, c.client, {"INCRBY", "counter", "-7"});
  REQUIRE(incr.ok());
  CHECK(*incr == RedisReply::Integer(-7));
}

TEST_CASE("array replies, nested ones included, are copied out whole") {
  RedisServer server;
  Connected c(server);
  REQUIRE(Call(c.io, c.client, {"RPUSH", "list", "a", std::string("b\0", 2), ""}).ok());
  Result range = Call(c.io, c.client, {"LRANGE", "list", "0", "-1"});
  REQUIRE(range.ok());
  CHECK(*range ==
        RedisReply::Array({RedisReply::String("a"), RedisReply::String(std::string("b\0", 2)),
                           RedisReply::String("")}));

  REQUIRE(Call(c.io, c.client, {"XADD", "stream", "1-1", "field", "value"}).ok());
  Result entries = Call(c.io, c.client, {"XRANGE", "stream", "-", "+"});
  REQUIRE(entries.ok());
  // [[id, [field, value]]]
  CHECK(*entries ==
        RedisReply::Array({RedisReply::Array(
            {RedisReply::String("1-1"),
             RedisReply::Array({RedisReply::String("field"), RedisReply::String("value")})})}));
  Result empty = Call(c.io, c.client, {"LRANGE", "nothing", "0", "-1"});
  REQUIRE(empty.ok());
  CHECK(*empty == RedisReply::Array({}));
}

TEST_CASE("an error reply is a FailedPrecondition carrying Redis' message; the connection stays") {
  RedisServer server;
  Connected c(server);
  REQUIRE(Call(c.io, c.client, {"SET", "text", "abc"}).ok());
  Result incr = Call(c.io, c.client, {"INCR", "text"});
  REQUIRE_FALSE(incr.ok());
  CHECK(incr.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(incr.status().message() == "ERR value is not an integer or out of range");

  Result wrong_type = Call(c.io, c.client, {"LPUSH", "text", "x"});
  REQUIRE_FALSE(wrong_type.ok());
  CHECK_THAT(std::string(wrong_type.status().message()), Catch::StartsWith("WRONGTYPE"));

  // An error inside an array (EXEC's results) is an element, not a failed command.
  REQUIRE(Call(c.io, c.client, {"MULTI"}).ok());
  REQUIRE(Call(c.io, c.client, {"INCR", "text"}).ok());  // QUEUED
  Result exec = Call(c.io, c.client, {"EXEC"});
  REQUIRE(exec.ok());
  REQUIRE(exec->elements.size() == 1);
  CHECK(exec->elements[0].type == RedisReply::Type::kError);

  CHECK(c.client.connected());
  CHECK(Call(c.io, c.client, {"GET", "text"}).ok());
}

TEST_CASE("an empty command is InvalidArgument and is not sent") {
  RedisServer server;
  Connected c(server);
  Result r = Call(c.io, c.client, {});
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(c.client.pending() == 0);
}

TEST_CASE("pipelined commands complete in the order they were sent") {
  RedisServer server;
  Connected c(server);
  constexpr int kCommands = 2000;
  std::vector<int64_t> seen;
  for (int i = 0; i < kCommands; ++i) {
    // No REQUIRE in callbacks: they run inside hiredis, which is C and cannot be unwound.
    c.client.Command({"INCR", "n"}, [&](Result r) { seen.push_back(r.ok() ? r->integer : -1); });
  }
  CHECK(c.client.pending() == kCommands);
  REQUIRE(RunUntil(c.io, [&] { return seen.size() == kCommands; }));
  for (int i = 0; i < kCommands; ++i) REQUIRE(seen[i] == i + 1);
  CHECK(c.client.pending() == 0);
}

TEST_CASE("beyond max_pending, commands fail at once with Unavailable and are not sent") {
  RedisServer server;
  RedisClient::Options options = FastReconnect();
  options.max_pending = 4;
  Connected c(server, options);
  std::vector<Result> results;
  for (int i = 0; i < 10; ++i) {
    c.client.Command({"INCR", "n"}, [&](Result r) { results.push_back(std::move(r)); });
  }
  CHECK(c.client.pending() == 4);
  REQUIRE(RunUntil(c.io, [&] { return results.size() == 10; }));
  int ok = 0;
  for (const Result& r : results) {
    if (r.ok()) {
      ++ok;
    } else {
      CHECK(r.status().code() == absl::StatusCode::kUnavailable);
      CHECK_THAT(std::string(r.status().message()), Catch::Contains("max_pending"));
    }
  }
  CHECK(ok == 4);
  // Only the four accepted ones reached Redis; once answered, there is room again.
  CHECK(*Call(c.io, c.client, {"GET", "n"}) == RedisReply::String("4"));
}

TEST_CASE("before the connection is up, a command fails at once with Unavailable") {
  RedisServer server;
  boost::asio::io_context io;
  RedisClient client(io, EndpointOf(server), FastReconnect());
  REQUIRE_FALSE(client.connected());
  Result r = Call(io, client, {"PING"});
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("not connected"));
}

TEST_CASE("after the server restarts, the client reconnects; meanwhile commands fail fast") {
  RedisServer server;
  Connected c(server);
  REQUIRE(Call(c.io, c.client, {"SET", "k", "1"}).ok());

  server.Stop();
  REQUIRE(RunUntil(c.io, [&] { return !c.client.connected(); }));
  CHECK(c.client.last_error().code() == absl::StatusCode::kUnavailable);
  // Down: several attempts fail (refused) while commands are answered without waiting for them.
  for (int i = 0; i < 3; ++i) {
    auto start = std::chrono::steady_clock::now();
    Result r = Call(c.io, c.client, {"GET", "k"});
    CHECK(r.status().code() == absl::StatusCode::kUnavailable);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  }
  CHECK_FALSE(c.client.connected());

  server.Start();
  REQUIRE(RunUntil(c.io, [&] { return c.client.connected(); }));
  REQUIRE(Call(c.io, c.client, {"SET", "k", "2"}).ok());
  CHECK(*Call(c.io, c.client, {"GET", "k"}) == RedisReply::String("2"));
}

TEST_CASE("commands awaiting replies when the connection drops fail with Unavailable") {
  RedisServer server;
  Connected c(server);
  std::vector<Result> results;
  // BLPOP blocks this connection only, so the PING behind it is still awaiting its reply when the
  // server goes; another client sees the block, which proves BLPOP was sent.
  c.client.Command({"BLPOP", "empty", "30"}, [&](Result r) { results.push_back(std::move(r)); });
  c.client.Command({"PING"}, [&](Result r) { results.push_back(std::move(r)); });
  Connected observer(server);
  REQUIRE(RunUntil(c.io, [&] {
    Result info = Call(observer.io, observer.client, {"INFO", "clients"});
    return info.ok() && info->str.find("blocked_clients:1\r\n") != std::string::npos;
  }));
  CHECK(c.client.pending() == 2);
  server.Stop();
  REQUIRE(RunUntil(c.io, [&] { return results.size() == 2; }));
  for (const Result& r : results) {
    CHECK(r.status().code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(r.status().message()), Catch::Contains("may have been applied"));
  }
  CHECK_FALSE(c.client.connected());
}

TEST_CASE("the database in the URL is selected on every connection") {
  RedisServer server;
  Connected db3(server, FastReconnect(), 3);
  Connected db0(server);
  REQUIRE(Call(db3.io, db3.client, {"SET", "k", "in 3"}).ok());
  CHECK(*Call(db0.io, db0.client, {"GET", "k"}) == RedisReply::Nil());
  CHECK(*Call(db3.io, db3.client, {"GET", "k"}) == RedisReply::String("in 3"));
}

TEST_CASE("a database the server does not have never counts as connected") {
  RedisServer server;
  boost::asio::io_context io;
  RedisClient client(io, EndpointOf(server, 99), FastReconnect());
  // Redis has 16 databases by default: SELECT 99 fails, and the failure is what last_error says.
  REQUIRE(RunUntil(io, [&] { return !client.last_error().ok(); }));
  CHECK_FALSE(client.connected());
  CHECK_THAT(std::string(client.last_error().message()), Catch::Contains("SELECT 99 failed"));
}

TEST_CASE("an attempt that does not finish within connect_timeout is dropped and retried") {
  // A socket that listens but never accepts: TCP connects (the kernel's backlog), SELECT is never
  // answered, so the attempt can only end by the timeout.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  {
    boost::asio::io_context io;
    RedisClient::Options options = FastReconnect();
    options.connect_timeout = absl::Milliseconds(50);
    RedisClient client(io, {"127.0.0.1", ntohs(addr.sin_port), 1}, options);
    REQUIRE(RunUntil(io, [&] { return !client.last_error().ok(); }));
    CHECK_FALSE(client.connected());
    CHECK(client.last_error().code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(client.last_error().message()),
               Catch::Contains("not connected within 50ms"));
    Result r = Call(io, client, {"PING"});
    CHECK(r.status().code() == absl::StatusCode::kUnavailable);
  }
  ::close(fd);
}

TEST_CASE("destroying the client completes pending commands with Unavailable") {
  RedisServer server;
  std::vector<Result> results;
  {
    Connected c(server);
    for (int i = 0; i < 3; ++i) {
      c.client.Command({"PING"}, [&](Result r) { results.push_back(std::move(r)); });
    }
  }
  REQUIRE(results.size() == 3);
  for (const Result& r : results) CHECK(r.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("RunRedisCommand connects, runs one command and returns its reply") {
  RedisServer server;
  Result pong = RunRedisCommand(EndpointOf(server), {"PING"}, absl::Seconds(5));
  REQUIRE(pong.ok());
  CHECK(*pong == RedisReply::Status("PONG"));
  Result error = RunRedisCommand(EndpointOf(server), {"NOSUCHCOMMAND"}, absl::Seconds(5));
  CHECK(error.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("RunRedisCommand gives up with DeadlineExceeded when nothing listens") {
  uint16_t port;
  {
    RedisServer server;
    port = server.port();
  }  // stopped: the port refuses connections now
  Result r = RunRedisCommand({"127.0.0.1", port, 0}, {"PING"}, absl::Milliseconds(300));
  CHECK(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("not connected within"));
}

}  // namespace
}  // namespace vetrina::redis
