// A thread-safe, blocking front to Redis for threads that may wait (admin requests, the writer
// threads of the shared logs, start-up). It owns one thread running an io_context, and on it a
// RedisClient per server: one for a single redis-server, one per master for a Redis Cluster,
// where each command goes to the master of its key's slot (see KeySlot).
//
// Cluster mode: once the first seed is reachable, the link asks it `INFO cluster`. A cluster node
// (`cluster_enabled:1`) makes the link load `CLUSTER SLOTS` into a slot map; anything else is
// used as the single server. A `MOVED slot host:port` reply updates that slot, refreshes the whole
// map in the background and resends the command to the new owner; `ASK slot host:port` sends
// `ASKING` and the command to that node without changing the map. A call follows at most
// kMaxRedirections redirections.
//
//   RedisLink link({*ParseRedisUrl("redis://127.0.0.1:6379")}, RedisLink::Options{});
//   absl::StatusOr<RedisReply> r = link.Call("vt:{catalog}:head", {"GET", "vt:{catalog}:head"});
//   if (!r.ok()) ...;  // Unavailable or DeadlineExceeded: Redis is down or slow
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_url.h"

namespace vetrina::redis {

// Thread-safe.
class RedisLink {
 public:
  struct Options {
    RedisClient::Options client;
    // How long Call waits for a reply when it is given no timeout of its own.
    absl::Duration call_timeout = absl::Seconds(2);
  };

  // Starts the link's thread and begins connecting to `seeds` in the background (see
  // RedisClient for name resolution: give IP addresses). Asserts that `seeds` is not empty.
  RedisLink(std::vector<RedisEndpoint> seeds, Options options);
  // Fails every waiting call with Unavailable and joins the thread.
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Sends `args` (args[0] is the command) to the server that holds `key` (any server for "")
  // and waits for its outcome, as RedisClient::Command reports it, for at most `timeout`
  // (DeadlineExceeded then: the command may still run).
  absl::StatusOr<RedisReply> Call(std::string_view key, std::vector<std::string> args) const;
  absl::StatusOr<RedisReply> Call(std::string_view key, std::vector<std::string> args,
                                  absl::Duration timeout) const;

  // Runs `args` (a command without keys: FUNCTION LOAD, CONFIG SET, ...) on every master of the
  // cluster, or on the single server, and waits at most `call_timeout` for all of them. OK when
  // every one succeeded; else the first failure reported (Unavailable when the slot map is not
  // loaded yet, DeadlineExceeded when some master has not answered in time).
  absl::Status CallEveryMaster(std::vector<std::string> args) const;

  // A call follows at most this many MOVED/ASK redirections, then fails with Unavailable.
  static constexpr int kMaxRedirections = 5;

  // True while every server the link needs is connected: the single server, or every master in
  // the slot map once it is loaded (updated on the link's thread).
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  // Waits until connected(), at most `timeout`; returns connected().
  bool WaitConnected(absl::Duration timeout) const;
  // Why the link is not connected (the last connection error of a server that is not connected,
  // naming it; or that the slot map is not loaded); OK when connected.
  absl::Status health() const;
  // "redis://host:port/db" of the seeds, comma-separated: for logs and /readyz.
  std::string description() const;

 private:
  class Impl;
  std::atomic<bool> connected_{false};
  std::unique_ptr<Impl> impl_;
};

}  // namespace vetrina::redis
