#include "adapters/fleet/shared_secret.h"

#include <catch2/catch.hpp>
#include <string>

#include "../../support/redis_log_node.h"
#include "../../support/redis_server.h"

namespace vetrina::fleet {
namespace {

using vetrina::testing::RedisServer;

std::function<std::string(size_t)> Fill(char c) {
  return [c](size_t n) { return std::string(n, c); };
}

TEST_CASE("the first node creates the fleet's secret and every later one reads it", "[fleet]") {
  RedisServer server;
  redis::RedisLink a({{"127.0.0.1", server.port(), 0}}, vetrina::testing::FastRedisLink());
  redis::RedisLink b({{"127.0.0.1", server.port(), 0}}, vetrina::testing::FastRedisLink());
  REQUIRE(a.WaitConnected(absl::Seconds(10)));
  REQUIRE(b.WaitConnected(absl::Seconds(10)));
  absl::StatusOr<std::string> first = LoadOrCreateSharedSecret(a, Fill('a'));
  REQUIRE(first.ok());
  CHECK(*first == std::string(32, 'a'));
  absl::StatusOr<std::string> second = LoadOrCreateSharedSecret(b, Fill('b'));
  REQUIRE(second.ok());
  CHECK(*second == *first);  // b's own candidate was not used
}

TEST_CASE("a damaged secret is refused, and an unreachable Redis is an error", "[fleet]") {
  RedisServer server;
  redis::RedisLink link({{"127.0.0.1", server.port(), 0}}, vetrina::testing::FastRedisLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  REQUIRE(link.Call(kSecretKey, {"SET", kSecretKey, "short"}).ok());
  CHECK(LoadOrCreateSharedSecret(link, Fill('x')).status().code() == absl::StatusCode::kDataLoss);
  server.Stop();
  const absl::StatusCode down = LoadOrCreateSharedSecret(link, Fill('x')).status().code();
  CHECK((down == absl::StatusCode::kUnavailable || down == absl::StatusCode::kDeadlineExceeded));
}

}  // namespace
}  // namespace vetrina::fleet
