#include "adapters/redis/redis_url.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina::redis {
namespace {

struct ValidRow {
  const char* rule;
  const char* url;
  RedisEndpoint expected;
};

TEST_CASE("ParseRedisUrl accepts redis://HOST:PORT[/DB]") {
  const ValidRow rows[] = {
      {"IPv4 host and port, no database: db 0", "redis://127.0.0.1:6379", {"127.0.0.1", 6379, 0}},
      {"a trailing slash alone is db 0", "redis://127.0.0.1:6379/", {"127.0.0.1", 6379, 0}},
      {"the path is the database number", "redis://10.0.0.7:6380/2", {"10.0.0.7", 6380, 2}},
      {"host names with dots and dashes",
       "redis://redis-1.fleet.internal:7000/15",
       {"redis-1.fleet.internal", 7000, 15}},
      {"IPv6 loopback in brackets", "redis://[::1]:6379", {"::1", 6379, 0}},
      {"full IPv6 address with a database",
       "redis://[2001:db8::7]:6379/3",
       {"2001:db8::7", 6379, 3}},
      {"the scheme is case-insensitive (RFC 3986 §3.1)",
       "REDIS://localhost:1",
       {"localhost", 1, 0}},
      {"the highest port", "redis://h:65535/0", {"h", 65535, 0}},
      {"the highest database", "redis://h:1/1000000", {"h", 1, kMaxRedisDb}},
  };
  for (const ValidRow& row : rows) {
    INFO(row.rule << ": " << row.url);
    absl::StatusOr<RedisEndpoint> endpoint = ParseRedisUrl(row.url);
    REQUIRE(endpoint.ok());
    CHECK(*endpoint == row.expected);
    // What ToUrl writes parses back to the same endpoint.
    CHECK(*ParseRedisUrl(endpoint->ToUrl()) == row.expected);
  }
}

struct InvalidRow {
  const char* rule;
  const char* url;
  const char* message;  // a part of the error message
};

TEST_CASE("ParseRedisUrl rejects anything else with a message naming the problem") {
  const InvalidRow rows[] = {
      {"empty input", "", "the scheme must be redis://"},
      {"another scheme", "http://127.0.0.1:6379", "the scheme must be redis://"},
      {"no scheme", "127.0.0.1:6379", "the scheme must be redis://"},
      {"TLS is not supported", "rediss://127.0.0.1:6379", "TLS (rediss://) is not supported"},
      {"credentials are not supported", "redis://user:pw@127.0.0.1:6379", "credentials"},
      {"a query is not supported", "redis://127.0.0.1:6379/0?timeout=1", "query"},
      {"a fragment is not supported", "redis://127.0.0.1:6379#x", "query or fragment"},
      {"the port is required", "redis://127.0.0.1", "the port is missing"},
      {"the port is required after an IPv6 host", "redis://[::1]", "the port is missing"},
      {"an empty port", "redis://127.0.0.1:", "the port must be a number from 1 to 65535"},
      {"port 0 is not a server's port", "redis://127.0.0.1:0", "from 1 to 65535"},
      {"a port above 65535", "redis://127.0.0.1:65536", "from 1 to 65535"},
      {"a signed port", "redis://127.0.0.1:+80", "from 1 to 65535"},
      {"a port with letters", "redis://127.0.0.1:63x9", "from 1 to 65535"},
      {"an empty host", "redis://:6379", "the host is missing"},
      {"an IPv6 host without brackets", "redis://::1:6379", "must be in brackets"},
      {"brackets around something that is not IPv6", "redis://[localhost]:6379",
       "not an IPv6 address"},
      {"an unclosed bracket", "redis://[::1:6379", "without a closing ']'"},
      {"text between ']' and ':'", "redis://[::1]x:6379", "expected ':' and a port after ']'"},
      {"a host with an underscore", "redis://my_host:6379", "not a valid host name"},
      {"a host label ending in '-' (RFC 1123 §2.1)", "redis://a-.b:6379", "not a valid host name"},
      {"an empty host label", "redis://a..b:6379", "not a valid host name"},
      {"a database that is not a number", "redis://h:6379/zero", "the database must be a number"},
      {"a negative database", "redis://h:6379/-1", "the database must be a number"},
      {"a database above the bound", "redis://h:6379/1000001", "from 0 to 1000000"},
      {"a path beyond the database", "redis://h:6379/0/1", "the database must be a number"},
      {"a space inside", "redis://h:6379 /0", "spaces and control characters"},
      {"a trailing newline", "redis://h:6379\n", "spaces and control characters"},
  };
  for (const InvalidRow& row : rows) {
    INFO(row.rule << ": \"" << row.url << "\"");
    absl::StatusOr<RedisEndpoint> endpoint = ParseRedisUrl(row.url);
    REQUIRE_FALSE(endpoint.ok());
    CHECK(endpoint.status().code() == absl::StatusCode::kInvalidArgument);
    std::string message(endpoint.status().message());
    CHECK_THAT(message, Catch::Contains(row.message));
    CHECK_THAT(message, Catch::Contains("expected redis://HOST:PORT[/DB]"));
  }
}

}  // namespace
}  // namespace vetrina::redis
