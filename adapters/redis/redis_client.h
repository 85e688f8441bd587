// An asynchronous Redis client over hiredis' async API, driven by an Asio io_context: one
// connection, commands pipelined on it, replies in order. It never blocks and never queues
// without bound: while it is not connected, or when `max_pending` commands already await their
// replies, a command fails at once with Unavailable. A lost connection is re-established in the
// background with capped exponential backoff.
//
//   RedisClient client(io, *ParseRedisUrl("redis://127.0.0.1:6379/0"), RedisClient::Options{});
//   client.Command({"SET", "vt:{c:1}:budget", "100"}, [](absl::StatusOr<RedisReply> reply) {
//     if (!reply.ok()) ...;  // Unavailable: not sent, or sent with its outcome unknown
//   });
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/redis/redis_url.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace vetrina::redis {

// A RESP2 reply, copied out of hiredis. A top-level error reply is not a RedisReply: Command
// reports it as a status (see Command); inside an array (EXEC's results) it is kError.
struct RedisReply {
  enum class Type { kNil, kInteger, kStatus, kError, kString, kArray };

  Type type = Type::kNil;
  int64_t integer = 0;               // kInteger
  std::string str;                   // kStatus, kError, kString (binary-safe)
  std::vector<RedisReply> elements;  // kArray

  static RedisReply Nil() { return {}; }
  static RedisReply Integer(int64_t n) { return {Type::kInteger, n, {}, {}}; }
  static RedisReply Status(std::string s) { return {Type::kStatus, 0, std::move(s), {}}; }
  static RedisReply Error(std::string s) { return {Type::kError, 0, std::move(s), {}}; }
  static RedisReply String(std::string s) { return {Type::kString, 0, std::move(s), {}}; }
  static RedisReply Array(std::vector<RedisReply> e) { return {Type::kArray, 0, {}, std::move(e)}; }

  friend bool operator==(const RedisReply&, const RedisReply&) = default;
};

// The delays between reconnection attempts: `min`, then doubling, never above `max`. Pure; not
// thread-safe.
class ReconnectBackoff {
 public:
  ReconnectBackoff(absl::Duration min, absl::Duration max) : min_(min), max_(max), next_(min) {}
  // The delay before the next attempt; each call doubles the following one, up to `max`.
  absl::Duration Next() {
    absl::Duration delay = next_;
    next_ = std::min(next_ * 2, max_);
    return delay;
  }
  // After a successful connection the next failure waits `min` again.
  void Reset() { next_ = min_; }

 private:
  absl::Duration min_;
  absl::Duration max_;
  absl::Duration next_;
};

// Not thread-safe: construct it, call it and destroy it on the one thread that runs `io`.
// Callbacks run on that thread, from the io_context, never from inside Command.
class RedisClient {
 public:
  struct Options {
    // A connection attempt (TCP connect, then SELECT when db != 0) that takes longer is dropped
    // and retried after the backoff.
    absl::Duration connect_timeout = absl::Seconds(1);
    absl::Duration reconnect_min = absl::Milliseconds(50);
    absl::Duration reconnect_max = absl::Seconds(5);
    // Commands sent and awaiting their replies, at most.
    int max_pending = 10'000;
  };

  // Starts connecting at once. hiredis resolves a host name with a blocking getaddrinfo on each
  // attempt (IPv4 first, IPv6 only when there is no IPv4 address): give an IP address where the
  // thread must not block. Options are checked with asserts: positive durations,
  // reconnect_min <= reconnect_max, max_pending >= 1.
  RedisClient(boost::asio::io_context& io, RedisEndpoint endpoint, Options options);
  // Completes every pending command with Unavailable (from inside the destructor) and closes the
  // connection. `done` callbacks must not destroy or call into this client.
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  using Done = std::function<void(absl::StatusOr<RedisReply>)>;

  // Sends `args` (binary-safe; args[0] is the command name) and calls `done` exactly once (while
  // the io_context runs):
  // - with the reply, when Redis answers with anything but an error;
  // - FailedPrecondition carrying Redis' message verbatim ("ERR ...", "WRONGTYPE ...") when
  //   Redis answers with an error;
  // - Unavailable without sending, at once (posted to the io_context), when the client is not
  //   connected or `max_pending` commands await replies;
  // - Unavailable when the connection is lost after sending: the command may or may not have
  //   been applied;
  // - InvalidArgument, at once, when `args` is empty.
  void Command(std::vector<std::string> args, Done done);

  // True once connected (and the database selected) until the connection is lost.
  bool connected() const;
  // Commands sent and awaiting replies.
  int pending() const;
  // Why the last connection attempt failed or the last connection was lost; OK before any.
  absl::Status last_error() const;
  const RedisEndpoint& endpoint() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// For start-up and admin paths that may block: connects to `endpoint` on a private io_context,
// runs one command and returns its outcome as Command reports it, or DeadlineExceeded when
// connecting and answering take longer than `timeout` together.
absl::StatusOr<RedisReply> RunRedisCommand(const RedisEndpoint& endpoint,
                                           std::vector<std::string> args, absl::Duration timeout);

}  // namespace vetrina::redis
