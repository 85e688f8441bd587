#include "adapters/http/server.h"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cassert>
#include <charconv>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/notification.h"
#include "adapters/http/gzip.h"
#include "adapters/http/http_date.h"
#include "adapters/http/receive_time.h"
#include "adapters/http/request_head.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr int kListenBacklog = 4096;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

// The status line and header of `response`. Written by hand rather than by Beast's serializer:
// for our small responses that was a tenth of the worker's time. `date` is the Date field's value.
void AppendResponseHead(const HttpResponse& response, unsigned version, bool gzipped,
                        bool keep_alive, std::string_view date, std::string* out) {
  const int status = response.status;
  assert(status >= 100 && status <= 999);
  out->clear();
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[4];
  std::to_chars(code, code + 3, status);
  code[3] = ' ';
  out->append(code, 4);
  out->append(View(bhttp::obsolete_reason(static_cast<bhttp::status>(status))));
  out->append("\r\nServer: vetrina\r\nDate: ").append(date).append("\r\n");
  if (!response.body.empty() || status != 204) {
    out->append("Content-Type: ").append(response.content_type).append("\r\n");
  }
  for (const auto& [name, value] : response.headers) {
    // Inputs are validated long before (campaign URLs are printable ASCII); a CR or LF here
    // would still let a value write headers of its own, so such a header is never sent.
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      assert(false && "a header with CR or LF");
      continue;
    }
    out->append(name).append(": ").append(value).append("\r\n");
  }
  if (gzipped) out->append("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
  // RFC 9110 8.6: no Content-Length on 1xx and 204 answers.
  if (status >= 200 && status != 204) {
    out->append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  }
  if (!keep_alive && version >= 11) out->append("Connection: close\r\n");
  if (keep_alive && version < 11) out->append("Connection: keep-alive\r\n");
  out->append("\r\n");
}

// A session's registration with its worker, so shutdown and the idle sweep can close the idle
// ones.
struct SessionState {
  beast::tcp_stream* stream = nullptr;
  bool idle = true;
  std::chrono::steady_clock::time_point idle_since;
  bool idle_expired = false;  // closed by the sweep, not by the peer
};

// Writes "100 Continue" for a client that waits for it before sending the body. False when the
// write failed.
asio::awaitable<bool> SendContinue(beast::tcp_stream& stream) {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  auto [ec, written] = co_await asio::async_write(
      stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
  co_return !ec;
}

// A connection's stream and what its requests reuse. Lives in the session's coroutine frame, and
// the worker's session set points at `state`: neither copied nor moved.
struct Connection {
  Connection(tcp::socket socket, size_t buffer_limit, absl::Time now)
      : stream(std::move(socket)),
        buffer(buffer_limit),
        state{.stream = &stream, .idle_since = std::chrono::steady_clock::now()},
        arrived(now) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  beast::tcp_stream stream;
  // Bounds what a client can make us buffer, pipelined requests included.
  beast::flat_buffer buffer;
  SessionState state;
  int pipelined = 0;  // requests taken from the buffer since the last read from the socket
  // When the bytes that began the current request reached this host; pipelined requests keep
  // the time of the read that brought them.
  absl::Time arrived;
  HttpResponse response;
  std::string inflated;
  std::string compressed;
  std::string response_head;  // status line and header
};

// One request and response on a connection: what the steps after the header need, and the
// parser or message that `request`'s views point into (they stay valid until the response is
// written).
struct Exchange {
  bhttp::request_parser<bhttp::empty_body> header_parser;  // moved into one of the two below
  std::optional<bhttp::request_parser<bhttp::buffer_body>> stream_parser;  // a streamed body
  bhttp::request<bhttp::string_body> message;                              // a buffered one
  HttpRequest request;
  ContentCoding coding = ContentCoding::kIdentity;
  bool wants_continue = false;  // Expect: 100-continue
  unsigned version = 11;
  bool client_keep_alive = false;
  std::string accept_encoding;
  bool close_after = false;  // a streamed body was refused: its rest was never read
};

class ServerImpl;

// One thread, one io_context, one acceptor. Everything here runs on the worker's own thread, so
// the session set and the draining flag need no lock.
class Worker {
 public:
  Worker(ServerImpl& server, int index);
  ~Worker() { Join(); }

  absl::Status Bind(const tcp::endpoint& endpoint);
  uint16_t BoundPort() const { return acceptor_.local_endpoint().port(); }
  void Run(HandlerFactory& factory);
  void Drain();
  void Stop() { io_.stop(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  absl::Notification& done() { return done_; }

 private:
  asio::awaitable<void> AcceptLoop();
  // Closes keep-alive connections idle past the idle timeout: one timer for the worker instead of
  // one per wait, so waiting for the next request costs only the readiness wait.
  asio::awaitable<void> SweepIdle();
  asio::awaitable<void> Reject(tcp::socket socket);
  // Serves one connection, request after request, as Beast's awaitable session does (read,
  // handle, write, loop), each step its own function below.
  asio::awaitable<void> Session(tcp::socket socket);
  // Waits for the next request's first bytes and records when the kernel received them. False:
  // close (the peer closed, or the idle sweep or shutdown cancelled the wait).
  asio::awaitable<bool> ReceiveFirstBytes(Connection& c);
  // Reads the next request's header into `x`, maps it to x.request and refuses what cannot be
  // served (Host or framing 400, unknown transfer coding 501, unknown Content-Encoding 415).
  // False: answered or failed; close.
  asio::awaitable<bool> ReadHead(Connection& c, Exchange& x);
  // Feeds the body, piece by piece as it arrives, to the stream the handler opened for it.
  // False: answered or failed; close.
  asio::awaitable<bool> ReadStreamedBody(Connection& c, Exchange& x, BodyStream& body);
  // Reads the whole body into x.message, inflates gzip, and points x.request.body at the
  // result; the body limit holds before and after inflation. False: answered or failed; close.
  asio::awaitable<bool> ReadBufferedBody(Connection& c, Exchange& x);
  // Has the handler answer into c.response: Finish for a streamed body, else Handle, then waits
  // without blocking the worker for an answer the handler deferred.
  asio::awaitable<void> Dispatch(Connection& c, Exchange& x, BodyStream* body);
  // Writes c.response (gzipped when the client accepts it; no body for HEAD) under its own
  // deadline. False: the connection is done (closed by either side, or the write failed).
  asio::awaitable<bool> Write(Connection& c, const Exchange& x);
  // Answers a read error with its 4xx where one applies (413, 431, 400), then the caller closes.
  asio::awaitable<void> FailRead(beast::tcp_stream& stream, boost::system::error_code ec);
  // `received` (wall clock, from the kernel) on the server's clock; now when unknown.
  absl::Time ArrivalTime(std::optional<absl::Time> received) const;
  // Answers a request the handler never sees (malformed, too large) and closes.
  asio::awaitable<void> RespondAndClose(beast::tcp_stream& stream, bhttp::status status,
                                        std::string_view message);
  // After the last answer on a connection: shuts down the sending side, then reads and discards
  // what the client still sends until it closes, within the linger bounds (RFC 9112 §9.6), so
  // that closing with unread bytes does not reset the connection under the answer. The caller
  // then closes.
  asio::awaitable<void> Linger(beast::tcp_stream& stream);
  // The Date field's value for an answer written now.
  std::string_view Date();
  // With ServerOptions::admission: waits, when the worker is overloaded, for the request's turn
  // (AdmissionQueue). False when it was shed instead: the handler's Shed answers it.
  asio::awaitable<bool> WaitTurn(absl::Time arrived);
  // Resumes every waiting request: the stale ones to be shed, the others to be served, in the
  // queue's order.
  void Admit();
  // With admission: the connections this worker keeps, adjusted once per admission interval.
  void AdjustConnectionLimit();

  ServerImpl& server_;
  const int index_;
  // Declared before io_: destroying io_ destroys suspended sessions, which unregister here.
  absl::flat_hash_set<SessionState*> sessions_;
  bool draining_ = false;
  HandlerPtr handler_;
  absl::Notification done_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  std::thread thread_;
  DateCache date_;
  // Where Linger's reads land, shared by the worker's sessions: nothing ever reads it back.
  std::array<char, 64 * 1024> discard_;
  // Requests waiting for their turn: a timer each, cancelled to resume it, and whether it was
  // shed.
  struct Turn {
    asio::steady_timer* timer;
    bool shed = false;
  };
  std::optional<AdmissionQueue> admission_;
  absl::flat_hash_map<AdmissionQueue::Ticket, Turn*> turns_;
  bool admit_posted_ = false;
  size_t connection_limit_ = std::numeric_limits<size_t>::max();
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const ServerOptions& options, const vetrina::Clock& clock)
      : options_(options), clock_(clock) {}
  ~ServerImpl() override { Shutdown(absl::Seconds(1)); }

  absl::Status Bind();
  void Serve(HandlerFactory factory) override;

  uint16_t port() const override { return port_; }
  const ServerStats& stats() const override { return stats_; }
  void Shutdown(absl::Duration grace) override;

  const ServerOptions& options() const { return options_; }
  const vetrina::Clock& clock() const { return clock_; }
  ServerStats& mutable_stats() { return stats_; }

 private:
  friend class Worker;
  ServerOptions options_;
  HandlerFactory factory_;
  const vetrina::Clock& clock_;
  ServerStats stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  std::atomic<bool> shut_down_{false};
};

Worker::Worker(ServerImpl& server, int index)
    : server_(server), index_(index), io_(1), acceptor_(io_), sweep_timer_(io_) {
  if (server.options().admission) admission_.emplace(*server.options().admission);
}

std::string_view Worker::Date() { return date_.Get(server_.clock().Now()); }

void Worker::AdjustConnectionLimit() {
  // Additive increase, multiplicative decrease, once an interval: overloaded, keep fewer
  // connections than are open, so each is served soon enough after its request arrives (with
  // every connection busy, a request waits about connections / throughput); keeping up, allow
  // more again.
  constexpr size_t kMinimum = 64;
  const size_t max = static_cast<size_t>(server_.options().max_connections);
  if (admission_->overloaded()) {
    connection_limit_ = std::max(kMinimum, std::min(connection_limit_, sessions_.size()) * 3 / 4);
  } else {
    connection_limit_ =
        std::min(max, connection_limit_ + std::max(kMinimum, connection_limit_ / 8));
  }
}

asio::awaitable<bool> Worker::WaitTurn(absl::Time arrived) {
  if (!admission_) co_return true;
  const bool wait = admission_->ShouldWait(arrived, server_.clock().Now());
  if (admission_->TakeIntervalEnd()) AdjustConnectionLimit();
  if (!wait) co_return true;
  asio::steady_timer timer(io_, asio::steady_timer::time_point::max());
  Turn turn{&timer};
  turns_.emplace(admission_->Push(arrived), &turn);
  if (!admit_posted_) {
    // After the completions already queued: the requests read with this one wait too, and the
    // newest of them goes first.
    admit_posted_ = true;
    asio::post(io_, [this] { Admit(); });
  }
  co_await timer.async_wait(kNoThrow);
  co_return !turn.shed;
}

void Worker::Admit() {
  admit_posted_ = false;
  const AdmissionQueue::Next next = admission_->Pop(server_.clock().Now());
  auto resume = [this](AdmissionQueue::Ticket ticket, bool shed) {
    auto it = turns_.find(ticket);
    assert(it != turns_.end());
    it->second->shed = shed;
    it->second->timer->cancel();
    turns_.erase(it);
  };
  // Resumed in this order: the shed ones answer at once, then the others are served in turn.
  for (AdmissionQueue::Ticket ticket : next.shed) resume(ticket, true);
  for (AdmissionQueue::Ticket ticket : next.serve) resume(ticket, false);
}

absl::Status Worker::Bind(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(ReusePort(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(kListenBacklog, ec);
  if (ec) {
    return absl::UnavailableError(StrCat("cannot listen on ", endpoint.address().to_string(), ":",
                                         endpoint.port(), ": ", ec.message()));
  }
  // Accepted sockets inherit it: a request's deadline then counts its time in the kernel queue.
  return EnableReceiveTimestamps(acceptor_.native_handle());
}

void Worker::Run(HandlerFactory& factory) {
  thread_ = std::thread([this, &factory] {
    handler_ = factory(index_);
    asio::co_spawn(io_, AcceptLoop(), asio::detached);
    asio::co_spawn(io_, SweepIdle(), asio::detached);
    io_.run();
    handler_.reset();
    done_.Notify();
  });
}

void Worker::Drain() {
  asio::post(io_, [this] {
    draining_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    sweep_timer_.cancel();
    for (SessionState* session : sessions_) {
      if (session->idle) session->stream->socket().cancel(ignored);
    }
  });
}

// The kernel stamps in wall-clock time, so the request's age is measured on the wall clock and
// carried over to the injected clock's time line, which deadlines are counted on.
absl::Time Worker::ArrivalTime(std::optional<absl::Time> received) const {
  const absl::Time now = server_.clock().Now();
  if (!received) return now;
  return now - std::max(absl::ZeroDuration(), absl::Now() - *received);
}

asio::awaitable<void> Worker::SweepIdle() {
  const auto timeout = ToChrono(server_.options().idle_timeout);
  const auto period = std::clamp<std::chrono::steady_clock::duration>(
      timeout / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
  while (!draining_) {
    sweep_timer_.expires_after(period);
    co_await sweep_timer_.async_wait(kNoThrow);
    const auto now = std::chrono::steady_clock::now();
    for (SessionState* session : sessions_) {
      if (session->idle && !session->idle_expired && now - session->idle_since >= timeout) {
        session->idle_expired = true;
        boost::system::error_code ignored;
        session->stream->socket().cancel(ignored);
      }
    }
  }
}

asio::awaitable<void> Worker::AcceptLoop() {
  ServerStats& stats = server_.mutable_stats();
  asio::steady_timer backoff(io_);
  while (acceptor_.is_open()) {
    if (sessions_.size() >= connection_limit_) {
      // Overloaded: connections wait in the listen backlog until the limit allows more.
      backoff.expires_after(std::chrono::milliseconds(5));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      // Out of descriptors or similar: back off instead of spinning.
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    if (stats.connections_open.load(std::memory_order_relaxed) >=
        server_.options().max_connections) {
      stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(io_, Reject(std::move(socket)), asio::detached);
      continue;
    }
    stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    stats.connections_open.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Worker::Reject(tcp::socket socket) {
  const std::string response =
      StrCat("HTTP/1.1 503 Service Unavailable\r\nServer: vetrina\r\nDate: ", Date(),
             "\r\nContent-Type: application/json\r\nContent-Length: 36\r\nConnection: close\r\n\r\n"
             "{\"error\":\"too many open connections\"}");
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(1));
  co_await asio::async_write(stream, asio::buffer(response), kNoThrow);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Worker::RespondAndClose(beast::tcp_stream& stream, bhttp::status status,
                                              std::string_view message) {
  bhttp::response<bhttp::string_body> res(status, 11);
  res.set(bhttp::field::server, "vetrina");
  const std::string_view date = Date();
  res.set(bhttp::field::date, beast::string_view(date.data(), date.size()));
  res.set(bhttp::field::content_type, "application/json");
  res.body() = StrCat("{\"error\":\"", message, "\"}");
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(std::chrono::seconds(2));
  auto [ec, written] = co_await bhttp::async_write(stream, res, kNoThrow);
  if (!ec) co_await Linger(stream);
}

asio::awaitable<void> Worker::Linger(beast::tcp_stream& stream) {
  const ServerOptions& options = server_.options();
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(ToChrono(options.linger_time));  // for all the reads below together
  uint64_t drained = 0;
  while (drained < options.linger_max_bytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(discard_), kNoThrow);
    if (ec) co_return;  // the client closed (the usual end), reset, or the time is up
    drained += n;
  }
}

asio::awaitable<void> Worker::FailRead(beast::tcp_stream& stream, boost::system::error_code ec) {
  ServerStats& stats = server_.mutable_stats();
  if (ec == beast::error::timeout) {
    stats.timeouts.fetch_add(1, std::memory_order_relaxed);
  } else if (ec == bhttp::error::body_limit) {
    stats.too_large.fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(stream, bhttp::status::payload_too_large, "body too large");
  } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    stats.too_large.fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(stream, bhttp::status::request_header_fields_too_large,
                             "header too large");
  } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(stream, bhttp::status::bad_request, "malformed HTTP request");
  }
}

asio::awaitable<bool> Worker::ReceiveFirstBytes(Connection& c) {
  if (c.buffer.size() > 0) {
    // Pipelined: the request is already here and keeps the arrival time of the read that brought
    // it. Write cuts off a client that floods requests without reading the answers.
    ++c.pipelined;
    co_return true;
  }
  c.pipelined = 0;
  // We read the first bytes ourselves, never Asio: the read learns when the kernel received
  // them, so time spent queued (in the socket, or behind other work on this worker after the
  // socket became readable) counts against the request's deadline.
  ReceiveResult got;
  for (;;) {
    const auto space = c.buffer.prepare(4096);
    got = ReceiveNow(c.stream.socket().native_handle(), space.data(), space.size());
    if (!got.would_block()) break;
    c.state.idle = true;
    c.state.idle_since = std::chrono::steady_clock::now();
    auto [ec] = co_await c.stream.socket().async_wait(tcp::socket::wait_read, kNoThrow);
    c.state.idle = false;
    if (ec || draining_) {
      if (c.state.idle_expired) {
        server_.mutable_stats().timeouts.fetch_add(1, std::memory_order_relaxed);
      }
      co_return false;
    }
    c.state.idle_expired = false;  // the sweep's cancel may have come just after the data
  }
  if (got.bytes <= 0) co_return false;  // closed by the peer, or reset
  c.buffer.commit(static_cast<size_t>(got.bytes));
  c.arrived = ArrivalTime(got.received);
  co_return true;
}

asio::awaitable<bool> Worker::ReadHead(Connection& c, Exchange& x) {
  const ServerOptions& options = server_.options();
  ServerStats& stats = server_.mutable_stats();
  // Waits for the first byte of the request (the idle sweep closes the connection after the idle
  // timeout); from then on the whole request must arrive within the read timeout, so a
  // byte-a-second client cannot hold us.
  if (!co_await ReceiveFirstBytes(c)) co_return false;
  c.state.idle = false;
  c.stream.expires_after(ToChrono(options.read_timeout));

  // The header first, into a parser without a body: the handler may then take the body as a
  // stream (bulk uploads) instead of in one buffer.
  x.header_parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  // Which limit applies depends on how the handler takes the body: see the Read*Body steps.
  x.header_parser.body_limit(boost::none);
  auto [ec, n] = co_await bhttp::async_read_header(c.stream, c.buffer, x.header_parser, kNoThrow);
  if (ec) {
    co_await FailRead(c.stream, ec);
    co_return false;
  }
  const auto& head = x.header_parser.get();
  x.request = ToHttpRequest(head, index_);
  // Host and framing: a body whose end we cannot know, or that is coded in a way we cannot
  // decode, must not be read as if it were plain (reading on could take the body for the next
  // request). Refuse and close, the body unread.
  if (const std::optional<HeadRefusal> refusal = CheckRequestHead(head)) {
    (refusal->status == 501 ? stats.unsupported_media : stats.bad_requests)
        .fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(c.stream, static_cast<bhttp::status>(refusal->status),
                             refusal->reason);
    co_return false;
  }
  x.coding = ContentCodingOf(head);
  if (x.coding == ContentCoding::kUnsupported) {
    stats.unsupported_media.fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(c.stream, bhttp::status::unsupported_media_type,
                             "unsupported Content-Encoding");
    co_return false;
  }
  x.wants_continue = head[bhttp::field::expect] == "100-continue";
  x.version = head.version();
  x.client_keep_alive = head.keep_alive();
  x.accept_encoding = View(head[bhttp::field::accept_encoding]);
  co_return true;
}

asio::awaitable<bool> Worker::ReadStreamedBody(Connection& c, Exchange& x, BodyStream& body) {
  const ServerOptions& options = server_.options();
  if (x.coding != ContentCoding::kIdentity) {
    server_.mutable_stats().unsupported_media.fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(c.stream, bhttp::status::unsupported_media_type,
                             "send uploads uncompressed");
    co_return false;
  }
  const auto length = x.header_parser.content_length();
  if (length && *length > options.max_stream_bytes) {
    co_await FailRead(c.stream, bhttp::error::body_limit);
    co_return false;
  }
  auto& parser = x.stream_parser.emplace(std::move(x.header_parser));
  x.request = ToHttpRequest(parser.get(), index_);  // the header has moved
  parser.body_limit(options.max_stream_bytes);
  if (x.wants_continue) {
    if (!co_await SendContinue(c.stream)) co_return false;
  }
  std::vector<char> chunk(64 * 1024);
  bool accepted = true;
  while (!parser.is_done() && accepted) {
    // Each chunk must arrive within the read timeout; the whole upload may take longer.
    c.stream.expires_after(ToChrono(options.read_timeout));
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await bhttp::async_read(c.stream, c.buffer, parser, kNoThrow);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      co_await FailRead(c.stream, ec);
      co_return false;
    }
    const size_t got = chunk.size() - parser.get().body().size;
    accepted = body.Append(std::string_view(chunk.data(), got));
  }
  x.close_after = !accepted;  // the rest of a refused body was not read
  co_return true;
}

asio::awaitable<bool> Worker::ReadBufferedBody(Connection& c, Exchange& x) {
  const ServerOptions& options = server_.options();
  ServerStats& stats = server_.mutable_stats();
  const auto length = x.header_parser.content_length();
  if (length && *length > options.max_body_bytes) {
    co_await FailRead(c.stream, bhttp::error::body_limit);
    co_return false;
  }
  bhttp::request_parser<bhttp::string_body> parser(std::move(x.header_parser));
  parser.body_limit(options.max_body_bytes);  // chunked bodies: checked as they arrive
  if (x.wants_continue && !parser.is_done()) {
    if (!co_await SendContinue(c.stream)) co_return false;
  }
  if (!parser.is_done()) {
    auto [ec, n] = co_await bhttp::async_read(c.stream, c.buffer, parser, kNoThrow);
    if (ec) {
      co_await FailRead(c.stream, ec);
      co_return false;
    }
  }
  x.message = parser.release();
  x.request = ToHttpRequest(x.message, index_);  // the header has moved
  x.request.body = x.message.body();
  if (x.coding != ContentCoding::kGzip) co_return true;
  if (absl::Status s = GzipInflate(x.message.body(), options.max_body_bytes, &c.inflated);
      !s.ok()) {
    const bool too_large = s.code() == absl::StatusCode::kResourceExhausted;
    (too_large ? stats.too_large : stats.bad_requests).fetch_add(1, std::memory_order_relaxed);
    co_await RespondAndClose(
        c.stream, too_large ? bhttp::status::payload_too_large : bhttp::status::bad_request,
        vetrina::View(s.message()));
    co_return false;
  }
  x.request.body = c.inflated;
  co_return true;
}

asio::awaitable<void> Worker::Dispatch(Connection& c, Exchange& x, BodyStream* body) {
  x.request.received_at = c.arrived;
  if (body != nullptr) {
    body->Finish(&c.response);
    co_return;
  }
  handler_->Handle(x.request, &c.response);
  if (!c.response.defer) co_return;
  // Wait, without blocking the worker, for the handler to finish the response elsewhere.
  asio::steady_timer resumed(io_, asio::steady_timer::time_point::max());
  auto defer = std::move(c.response.defer);
  c.response.defer = nullptr;
  defer([&resumed, executor = io_.get_executor()] {
    asio::post(executor, [&resumed] { resumed.cancel(); });
  });
  co_await resumed.async_wait(kNoThrow);
}

asio::awaitable<bool> Worker::Write(Connection& c, const Exchange& x) {
  const ServerOptions& options = server_.options();
  HttpResponse& response = c.response;
  const bool gzipped =
      response.body.size() >= options.gzip_min_bytes && AcceptsGzip(x.accept_encoding);
  if (gzipped) {
    GzipDeflate(response.body, &c.compressed);
    std::swap(response.body, c.compressed);
  }
  // A client that pipelines more than the cap without reading gets this answer as its last, and
  // is told so; the requests after it are drained unanswered.
  const bool pipeline_full = c.pipelined >= options.max_pipelined && c.buffer.size() > 0;
  const bool keep_alive =
      x.client_keep_alive && !response.close && !x.close_after && !pipeline_full && !draining_;
  AppendResponseHead(response, x.version, gzipped, keep_alive, Date(), &c.response_head);
  // HEAD: the length stays, the body goes.
  const std::array<asio::const_buffer, 2> wire{
      asio::buffer(c.response_head),
      x.request.method == Method::kHead ? asio::const_buffer() : asio::buffer(response.body)};
  // The response gets its own deadline: a slow handler must not leave it the rest of the read's.
  c.stream.expires_after(ToChrono(options.read_timeout));
  auto [ec, written] = co_await asio::async_write(c.stream, wire, kNoThrow);
  if (ec) co_return false;
  if (!keep_alive) {
    co_await Linger(c.stream);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Worker::Session(tcp::socket socket) {
  const ServerOptions& options = server_.options();
  Connection c(std::move(socket), options.max_header_bytes + options.max_body_bytes + 4096,
               server_.clock().Now());
  sessions_.insert(&c.state);
  struct Unregister {
    Worker* worker;
    SessionState* state;
    ~Unregister() {
      worker->sessions_.erase(state);
      worker->server_.mutable_stats().connections_open.fetch_sub(1, std::memory_order_relaxed);
    }
  } unregister{this, &c.state};

  while (!draining_) {
    Exchange x;
    if (!co_await ReadHead(c, x)) co_return;
    std::unique_ptr<BodyStream> body =
        x.header_parser.is_done() ? nullptr : handler_->OpenStream(x.request);
    c.response.Reset();
    bool read = false;
    if (body != nullptr) {
      read = co_await ReadStreamedBody(c, x, *body);
    } else {
      read = co_await ReadBufferedBody(c, x);
    }
    if (!read) co_return;
    if (body != nullptr || co_await WaitTurn(c.arrived)) {
      co_await Dispatch(c, x, body.get());
    } else {
      x.request.received_at = c.arrived;
      handler_->Shed(x.request, &c.response);
      // Over the worker's connection limit: this one goes, and no other comes in its place
      // until the limit allows (AcceptLoop).
      if (sessions_.size() > connection_limit_) c.response.close = true;
    }
    if (!co_await Write(c, x)) co_return;
  }
}

absl::Status ServerImpl::Bind() {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("bad listen address: ", options_.host));
  if (options_.threads < 1) return absl::InvalidArgumentError("threads must be >= 1");
  uint16_t port = options_.port;
  for (int i = 0; i < options_.threads; ++i) {
    auto worker = std::make_unique<Worker>(*this, i);
    VETRINA_RETURN_IF_ERROR(worker->Bind(tcp::endpoint(address, port)));
    port = worker->BoundPort();  // port 0: the others join the first one's port
    workers_.push_back(std::move(worker));
  }
  port_ = port;
  return absl::OkStatus();
}

void ServerImpl::Serve(HandlerFactory factory) {
  assert(!factory_ && "Serve called twice");
  factory_ = std::move(factory);
  for (auto& worker : workers_) worker->Run(factory_);
}

void ServerImpl::Shutdown(absl::Duration grace) {
  if (shut_down_.exchange(true)) return;
  for (auto& worker : workers_) worker->Drain();
  const absl::Time deadline = absl::Now() + grace;
  for (auto& worker : workers_) {
    if (!worker->done().WaitForNotificationWithDeadline(deadline)) break;
  }
  for (auto& worker : workers_) worker->Stop();
  for (auto& worker : workers_) worker->Join();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(const ServerOptions& options,
                                                             const vetrina::Clock& clock) {
  auto server = std::make_unique<ServerImpl>(options, clock);
  VETRINA_RETURN_IF_ERROR(server->Bind());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace vetrina::http
