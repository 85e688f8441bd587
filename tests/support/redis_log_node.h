// One fleet node's view of a real redis-server for writer tests: its own link, and a LogOpener
// that opens the shared RedisLog `name` on it (unconditional appends: echoed through Follow).
//
//   RedisServer server;
//   RedisLogNode a(server);
//   MembershipWriter::Open(dir, store, clock, kCompactAfterBytes, a.Opener("audiences"));
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "adapters/fleet/redis_log.h"
#include "adapters/redis/redis_link.h"
#include "redis_server.h"

namespace vetrina::testing {

inline redis::RedisLink::Options FastRedisLink() {
  redis::RedisLink::Options options;
  options.client.reconnect_min = absl::Milliseconds(5);
  options.client.reconnect_max = absl::Milliseconds(50);
  options.call_timeout = absl::Seconds(2);
  return options;
}

struct RedisLogNode {
  explicit RedisLogNode(const RedisServer& server)
      : link({redis::RedisEndpoint{"127.0.0.1", server.port(), 0}}, FastRedisLink()) {
    REQUIRE(link.WaitConnected(absl::Seconds(10)));
  }

  storage::LogOpener Opener(std::string name) {
    return [this, name](const storage::RecordLog::ReplayFn& replay)
               -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
      absl::StatusOr<std::unique_ptr<fleet::RedisLog>> log =
          fleet::RedisLog::Open(link, name, replay, {});
      if (!log.ok()) return log.status();
      return std::unique_ptr<storage::RecordLog>(*std::move(log));
    };
  }

  redis::RedisLink link;
};

}  // namespace vetrina::testing
