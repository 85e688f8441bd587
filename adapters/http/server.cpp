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
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "adapters/http/gzip.h"
#include "adapters/http/receive_time.h"
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

Method ToMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::delete_:
      return Method::kDelete;
    default:
      return Method::kOther;
  }
}

// The status line and header of `response`. Written by hand rather than by Beast's serializer:
// for our small responses that was a tenth of the worker's time.
void AppendResponseHead(const HttpResponse& response, unsigned version, bool gzipped,
                        bool keep_alive, std::string* out) {
  const int status = response.status;
  assert(status >= 100 && status <= 999);
  out->clear();
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[4];
  std::to_chars(code, code + 3, status);
  code[3] = ' ';
  out->append(code, 4);
  out->append(View(bhttp::obsolete_reason(static_cast<bhttp::status>(status))));
  out->append("\r\nServer: vetrina\r\n");
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

class ServerImpl;

// One thread, one io_context, one acceptor. Everything here runs on the worker's own thread, so
// the session set and the draining flag need no lock.
class Worker {
 public:
  Worker(ServerImpl& server, int index)
      : server_(server), index_(index), io_(1), acceptor_(io_), sweep_timer_(io_) {}
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
  asio::awaitable<void> Session(tcp::socket socket);
  // Answers a read error with its 4xx where one applies (413, 431, 400), then the caller closes.
  asio::awaitable<void> FailRead(beast::tcp_stream& stream, boost::system::error_code ec);
  // `received` (wall clock, from the kernel) on the server's clock; now when unknown.
  absl::Time ArrivalTime(std::optional<absl::Time> received) const;
  // Answers a request the handler never sees (malformed, too large) and closes.
  asio::awaitable<void> RespondAndClose(beast::tcp_stream& stream, bhttp::status status,
                                        std::string_view message);

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
  static constexpr std::string_view kResponse =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Content-Length: 36\r\nConnection: close\r\n\r\n{\"error\":\"too many open connections\"}";
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(1));
  co_await asio::async_write(stream, asio::buffer(kResponse.data(), kResponse.size()), kNoThrow);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Worker::RespondAndClose(beast::tcp_stream& stream, bhttp::status status,
                                              std::string_view message) {
  bhttp::response<bhttp::string_body> res(status, 11);
  res.set(bhttp::field::server, "vetrina");
  res.set(bhttp::field::content_type, "application/json");
  res.body() = StrCat("{\"error\":\"", message, "\"}");
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(std::chrono::seconds(2));
  co_await bhttp::async_write(stream, res, kNoThrow);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
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

asio::awaitable<void> Worker::Session(tcp::socket socket) {
  const ServerOptions& options = server_.options();
  ServerStats& stats = server_.mutable_stats();
  beast::tcp_stream stream(std::move(socket));
  SessionState state{.stream = &stream, .idle_since = std::chrono::steady_clock::now()};
  sessions_.insert(&state);
  struct Unregister {
    Worker* worker;
    SessionState* state;
    ~Unregister() {
      worker->sessions_.erase(state);
      worker->server_.mutable_stats().connections_open.fetch_sub(1, std::memory_order_relaxed);
    }
  } unregister{this, &state};

  // Bounds what a client can make us buffer, pipelined requests included.
  beast::flat_buffer buffer(options.max_header_bytes + options.max_body_bytes + 4096);
  HttpResponse response;
  std::string inflated;
  std::string compressed;
  std::string response_head;  // status line and header, reused
  int pipelined = 0;
  // When the bytes that began the current request reached this host; pipelined requests keep
  // the time of the read that brought them.
  absl::Time arrived = server_.clock().Now();

  while (!draining_) {
    // Wait for the first byte of the next request (the idle sweep closes the connection after the
    // idle timeout); from then on the whole request must arrive within the read timeout, so a
    // byte-a-second client cannot hold us.
    if (buffer.size() == 0) {
      pipelined = 0;
      // We read the first bytes ourselves, never Asio: the read learns when the kernel received
      // them, so time spent queued (in the socket, or behind other work on this worker after
      // the socket became readable) counts against the request's deadline.
      ReceiveResult got;
      for (;;) {
        const auto space = buffer.prepare(4096);
        got = ReceiveNow(stream.socket().native_handle(), space.data(), space.size());
        if (!got.would_block()) break;
        state.idle = true;
        state.idle_since = std::chrono::steady_clock::now();
        auto [ec] = co_await stream.socket().async_wait(tcp::socket::wait_read, kNoThrow);
        state.idle = false;
        if (ec || draining_) {
          if (state.idle_expired) stats.timeouts.fetch_add(1, std::memory_order_relaxed);
          co_return;
        }
        state.idle_expired = false;  // the sweep's cancel may have come just after the data
      }
      if (got.bytes <= 0) co_return;  // closed by the peer, or reset
      buffer.commit(static_cast<size_t>(got.bytes));
      arrived = ArrivalTime(got.received);
    } else if (++pipelined > options.max_pipelined) {
      co_return;  // a client that floods requests without reading answers
    }
    state.idle = false;
    stream.expires_after(ToChrono(options.read_timeout));

    // The header first, into a parser without a body: the handler may then take the body as a
    // stream (bulk uploads) instead of in one buffer.
    bhttp::request_parser<bhttp::empty_body> header_parser;
    header_parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // Which limit applies depends on how the handler takes the body: checked below.
    header_parser.body_limit(boost::none);
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, header_parser, kNoThrow);
    if (ec) {
      co_await FailRead(stream, ec);
      co_return;
    }
    // Views into a parser's header; taken again after the body parser takes the header over.
    HttpRequest request;
    auto view_head = [&](const auto& message) {
      request.method = ToMethod(message.method());
      std::string_view target = View(message.target());
      const size_t question = target.find('?');
      request.path = target.substr(0, question);
      request.query =
          question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
      request.authorization = View(message[bhttp::field::authorization]);
      request.content_type = View(message[bhttp::field::content_type]);
      request.openrtb_version = View(message["x-openrtb-version"]);
      request.worker = index_;
    };
    const auto& head = header_parser.get();
    view_head(head);
    // A Transfer-Encoding that does not end in chunked leaves the body's end unknown (RFC 9112
    // 6.3): reading on would take the body for the next request. Refuse and close.
    if (head.count(bhttp::field::transfer_encoding) > 0 && !header_parser.chunked()) {
      stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
      co_await RespondAndClose(stream, bhttp::status::bad_request,
                               "Transfer-Encoding must end in chunked");
      co_return;
    }
    const std::string_view encoding = View(head[bhttp::field::content_encoding]);
    const bool identity =
        encoding.empty() ||
        absl::EqualsIgnoreCase(absl::string_view(encoding.data(), encoding.size()), "identity");
    const bool gzip =
        absl::EqualsIgnoreCase(absl::string_view(encoding.data(), encoding.size()), "gzip");
    if (!identity && !gzip) {
      stats.unsupported_media.fetch_add(1, std::memory_order_relaxed);
      co_await RespondAndClose(stream, bhttp::status::unsupported_media_type,
                               "unsupported Content-Encoding");
      co_return;
    }
    const bool wants_continue = head[bhttp::field::expect] == "100-continue";
    const unsigned version = head.version();
    const bool client_keep_alive = head.keep_alive();
    const std::string accept_encoding(View(head[bhttp::field::accept_encoding]));
    std::unique_ptr<BodyStream> body_stream =
        header_parser.is_done() ? nullptr : handler_->OpenStream(request);

    auto send_continue = [&]() -> asio::awaitable<boost::system::error_code> {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [write_ec, written] = co_await asio::async_write(
          stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
      co_return write_ec;
    };

    response.Reset();
    bool close_after = false;
    if (body_stream != nullptr) {
      if (!identity) {
        stats.unsupported_media.fetch_add(1, std::memory_order_relaxed);
        co_await RespondAndClose(stream, bhttp::status::unsupported_media_type,
                                 "send uploads uncompressed");
        co_return;
      }
      const auto length = header_parser.content_length();
      if (length && *length > options.max_stream_bytes) {
        co_await FailRead(stream, bhttp::error::body_limit);
        co_return;
      }
      bhttp::request_parser<bhttp::buffer_body> parser(std::move(header_parser));
      view_head(parser.get());
      parser.body_limit(options.max_stream_bytes);
      if (wants_continue) {
        if (auto write_ec = co_await send_continue(); write_ec) co_return;
      }
      std::vector<char> chunk(64 * 1024);
      bool accepted = true;
      while (!parser.is_done() && accepted) {
        // Each chunk must arrive within the read timeout; the whole upload may take longer.
        stream.expires_after(ToChrono(options.read_timeout));
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
        if (read_ec == bhttp::error::need_buffer) read_ec = {};
        if (read_ec) {
          co_await FailRead(stream, read_ec);
          co_return;
        }
        const size_t got = chunk.size() - parser.get().body().size;
        accepted = body_stream->Append(std::string_view(chunk.data(), got));
      }
      request.received_at = arrived;
      body_stream->Finish(&response);
      close_after = !accepted;  // the rest of a refused body was not read
    } else {
      const auto length = header_parser.content_length();
      if (length && *length > options.max_body_bytes) {
        co_await FailRead(stream, bhttp::error::body_limit);
        co_return;
      }
      bhttp::request_parser<bhttp::string_body> parser(std::move(header_parser));
      parser.body_limit(options.max_body_bytes);  // chunked bodies: checked as they arrive
      if (wants_continue && !parser.is_done()) {
        if (auto write_ec = co_await send_continue(); write_ec) co_return;
      }
      if (!parser.is_done()) {
        auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
        if (read_ec) {
          co_await FailRead(stream, read_ec);
          co_return;
        }
      }
      bhttp::request<bhttp::string_body> message = parser.release();
      view_head(message);
      request.body = message.body();
      if (gzip) {
        if (absl::Status s = GzipInflate(message.body(), options.max_body_bytes, &inflated);
            !s.ok()) {
          const bool too_large = s.code() == absl::StatusCode::kResourceExhausted;
          (too_large ? stats.too_large : stats.bad_requests)
              .fetch_add(1, std::memory_order_relaxed);
          co_await RespondAndClose(
              stream, too_large ? bhttp::status::payload_too_large : bhttp::status::bad_request,
              vetrina::View(s.message()));
          co_return;
        }
        request.body = inflated;
      }
      request.received_at = arrived;
      handler_->Handle(request, &response);
      if (response.defer) {
        // Wait, without blocking the worker, for the handler to finish the response elsewhere.
        asio::steady_timer resumed(io_, asio::steady_timer::time_point::max());
        auto defer = std::move(response.defer);
        response.defer = nullptr;
        defer([&resumed, executor = io_.get_executor()] {
          asio::post(executor, [&resumed] { resumed.cancel(); });
        });
        co_await resumed.async_wait(kNoThrow);
      }
    }

    const bool gzipped =
        response.body.size() >= options.gzip_min_bytes && AcceptsGzip(accept_encoding);
    if (gzipped) {
      GzipDeflate(response.body, &compressed);
      std::swap(response.body, compressed);
    }
    const bool keep_alive = client_keep_alive && !response.close && !close_after && !draining_;
    AppendResponseHead(response, version, gzipped, keep_alive, &response_head);
    // HEAD: the length stays, the body goes.
    const std::array<asio::const_buffer, 2> wire{
        asio::buffer(response_head),
        request.method == Method::kHead ? asio::const_buffer() : asio::buffer(response.body)};
    // The response gets its own deadline: a slow handler must not leave it the rest of the read's.
    stream.expires_after(ToChrono(options.read_timeout));
    auto [write_ec, written] = co_await asio::async_write(stream, wire, kNoThrow);
    if (write_ec) co_return;
    if (!keep_alive) {
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
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
