// Where a Redis server is: `redis://HOST:PORT[/DB]`, parsed and validated once at start-up.
//
//   absl::StatusOr<RedisEndpoint> endpoint = ParseRedisUrl("redis://10.0.0.7:6379/2");
//   endpoint->host == "10.0.0.7", endpoint->port == 6379, endpoint->db == 2
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vetrina::redis {

struct RedisEndpoint {
  std::string host;  // a host name, an IPv4 address or an IPv6 address without brackets
  uint16_t port = 0;
  int db = 0;  // the logical database selected on every connection

  // `redis://host:port/db`, with brackets around an IPv6 host: the form ParseRedisUrl takes.
  std::string ToUrl() const;
  friend bool operator==(const RedisEndpoint&, const RedisEndpoint&) = default;
};

// Accepts `redis://HOST:PORT`, `redis://HOST:PORT/` and `redis://HOST:PORT/DB`, where HOST is a
// host name, a dotted IPv4 address or a bracketed IPv6 address (`redis://[::1]:6380`), PORT is
// 1..65535 and DB a decimal number 0..kMaxRedisDb. The scheme is case-insensitive. Anything else
// (credentials, TLS `rediss://`, a query, a missing port, stray spaces) is InvalidArgument with a
// message that names the problem and quotes the URL.
absl::StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url);

// Redis' `databases` setting is 16 by default; larger values are legal server configuration, so
// the bound here only rejects numbers no server is configured with.
inline constexpr int kMaxRedisDb = 1'000'000;

}  // namespace vetrina::redis
