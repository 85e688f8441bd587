// An HTTP/1.1 server on Boost.Beast: one io_context per worker thread, each with its own
// SO_REUSEPORT acceptor, coroutine sessions that own their stream, keep-alive, and every resource
// bounded (header and body size, read and idle time, connections, pipelining). Every answer
// carries Date; a connection the server closes is shut down for sending, then drained briefly, so
// the client reads the last answer and a clean end rather than a reset.
//
//   ServerOptions options{.name = "public", .host = "127.0.0.1", .port = 0, .threads = 2};
//   absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Bind(options, clock);
//   (*server)->port();                    // the bound port, known before serving
//   (*server)->Serve([](int worker) { return MakeHandler(worker); });
//   (*server)->Shutdown(absl::Seconds(4)); // stop accepting, finish in-flight, close idle
//
// Beast and Asio stay inside server.cpp: this header is cheap to include.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/http/admission.h"
#include "adapters/http/http_types.h"
#include "base/clock.h"

namespace vetrina::http {

// When the server closes a connection after an answer (the client asked to, a refusal, the
// pipelining cap), unread request bytes would make the kernel answer with a reset that can destroy
// the answer before the client reads it. So it shuts down its sending side, then reads and
// discards what the client still sends (RFC 9112 §9.6) until the client closes, for at most this
// long and this many bytes. The bytes bound fits a client that sends a whole refused 10 MB body
// before reading the answer, as most client libraries do.
inline constexpr absl::Duration kDefaultLingerTime = absl::Seconds(1);
inline constexpr uint64_t kDefaultLingerMaxBytes = uint64_t{16} << 20;

struct ServerOptions {
  std::string name = "public";  // for logs and metrics
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port
  int threads = 1;
  size_t max_header_bytes = 8 * 1024;               // larger -> 431
  size_t max_body_bytes = 256 * 1024;               // larger, before or after gzip inflation -> 413
  uint64_t max_stream_bytes = uint64_t{4} << 30;    // bodies a handler takes as a stream
  absl::Duration idle_timeout = absl::Seconds(30);  // keep-alive wait for the next request
  absl::Duration read_timeout = absl::Seconds(5);   // first byte to last byte of a request
  int max_connections = 10'000;                     // more -> 503 and close
  // Requests answered from one read's backlog: the last one's answer says Connection: close.
  int max_pipelined = 16;
  size_t gzip_min_bytes = 1024;  // compress responses at least this large when accepted
  absl::Duration linger_time = kDefaultLingerTime;  // draining a connection before closing it
  uint64_t linger_max_bytes = kDefaultLingerMaxBytes;
  // Serve newest first and shed stale requests when overloaded (AdmissionQueue); unset: serve
  // in the order requests are read.
  std::optional<AdmissionQueue::Options> admission;
};

// Counters kept by the server itself (errors it answers without a handler). Thread-safe.
struct ServerStats {
  std::atomic<int64_t> connections_accepted{0};
  std::atomic<int64_t> connections_rejected{0};  // over max_connections
  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> timeouts{0};
  std::atomic<int64_t> bad_requests{0};  // malformed HTTP or gzip, Host missing or twice -> 400
  std::atomic<int64_t> too_large{0};     // 413 and 431
  // Unknown Content-Encoding -> 415; a transfer coding other than chunked -> 501.
  std::atomic<int64_t> unsupported_media{0};
};

// Thread-safe.
class HttpServer {
 public:
  // Binds every worker's acceptor; nothing is served until Serve. InvalidArgument for a bad
  // host or thread count; Unavailable when the bind fails.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Bind(const ServerOptions& options,
                                                          const vetrina::Clock& clock);
  virtual ~HttpServer() = default;

  // Starts the worker threads; each calls `factory` once, then serves. Call once.
  virtual void Serve(HandlerFactory factory) = 0;

  virtual uint16_t port() const = 0;
  virtual const ServerStats& stats() const = 0;

  // Stops accepting, lets requests in flight finish and closes idle connections; after `grace`
  // closes whatever is left. Returns once every worker thread has exited. Idempotent.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace vetrina::http
