#include "adapters/http/server.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "../../support/raw_http.h"
#include "absl/time/civil_time.h"
#include "adapters/http/gzip.h"

namespace vetrina::http {
namespace {

using vetrina::testing::Get;
using vetrina::testing::Post;
using vetrina::testing::RawConnection;

// Counts a streamed body; refuses it past `limit` bytes.
class CountingStream final : public BodyStream {
 public:
  explicit CountingStream(size_t limit) : limit_(limit) {}
  bool Append(std::string_view chunk) override {
    bytes_ += chunk.size();
    ++chunks_;
    return bytes_ <= limit_;
  }
  void Finish(HttpResponse* response) override {
    response->status = bytes_ <= limit_ ? 200 : 413;
    response->body = std::to_string(bytes_) + " " + std::to_string(chunks_);
  }

 private:
  size_t limit_;
  size_t bytes_ = 0;
  size_t chunks_ = 0;
};

// Echoes the request back; /slow blocks until released, to test shutdown with work in flight.
class EchoHandler final : public Handler {
 public:
  EchoHandler(std::atomic<bool>* release, std::atomic<bool>* entered)
      : release_(release), entered_(entered) {}
  std::unique_ptr<BodyStream> OpenStream(const HttpRequest& head) override {
    if (head.path != "/stream") return nullptr;
    return std::make_unique<CountingStream>(head.query == "small" ? 1000 : SIZE_MAX);
  }
  void Handle(const HttpRequest& request, HttpResponse* response) override {
    if (request.path == "/slow") {
      entered_->store(true);
      while (!release_->load()) std::this_thread::yield();
    }
    if (request.path == "/big") {
      response->body.assign(4096, 'x');
      return;
    }
    response->body = std::string(request.body);
    response->headers.emplace_back("x-path", std::string(request.path));
    response->headers.emplace_back("x-query", std::string(request.query));
    response->headers.emplace_back("x-auth", std::string(request.authorization));
    response->headers.emplace_back("x-received-ns",
                                   std::to_string(absl::ToUnixNanos(request.received_at)));
    if (request.path == "/close") response->close = true;
    if (request.path == "/nobody") response->status = 204;
  }

 private:
  std::atomic<bool>* release_;
  std::atomic<bool>* entered_;
};

// The server counts after it closes, so a client may see the close first: wait (bounded).
template <typename Predicate>
bool Eventually(Predicate predicate) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!predicate()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

struct TestServer {
  vetrina::RealClock real_clock;
  std::atomic<bool> release{true};
  std::atomic<bool> entered{false};
  std::unique_ptr<HttpServer> server;

  explicit TestServer(ServerOptions options = {}, const vetrina::Clock* clock = nullptr) {
    auto bound = HttpServer::Bind(options, clock != nullptr ? *clock : real_clock);
    REQUIRE(bound.ok());
    server = *std::move(bound);
    server->Serve([this](int) { return std::make_unique<EchoHandler>(&release, &entered); });
  }
  uint16_t port() const { return server->port(); }
};

TEST_CASE("serves keep-alive requests on one connection, with path, query and headers") {
  TestServer t;
  RawConnection c(t.port());
  REQUIRE(c.connected());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.Send(Post("/echo?x=1", "body-" + std::to_string(i), "Authorization: Bearer t\r\n")));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "body-" + std::to_string(i));
    CHECK(r->headers["x-path"] == "/echo");
    CHECK(r->headers["x-query"] == "x=1");
    CHECK(r->headers["x-auth"] == "Bearer t");
  }
}

TEST_CASE("a request's age counts the time it waited in the kernel before the worker read it") {
  TestServer t;
  t.release = false;
  RawConnection busy(t.port());
  REQUIRE(busy.Send(Post("/slow", "")));
  REQUIRE(Eventually([&] { return t.entered.load(); }));  // the only worker is now stuck
  RawConnection queued(t.port());
  REQUIRE(queued.Send(Post("/echo", "waiting")));
  const absl::Time sent = absl::Now();
  t.release = true;
  REQUIRE(busy.Read().has_value());
  auto r = queued.Read();
  REQUIRE(r.has_value());
  CHECK(r->body == "waiting");
  // The worker read it only after `sent`, but the kernel had it before send() returned.
  CHECK(absl::FromUnixNanos(std::stoll(r->headers["x-received-ns"])) <= sent);
}

TEST_CASE("pipelined requests are answered in order") {
  TestServer t;
  RawConnection c(t.port());
  REQUIRE(c.Send(Post("/a", "1") + Post("/b", "2") + Post("/c", "3")));
  for (const char* expected : {"1", "2", "3"}) {
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->body == expected);
  }
}

TEST_CASE("a client that floods pipelined requests is cut off at the cap") {
  ServerOptions options;
  options.max_pipelined = 4;
  TestServer t(options);
  RawConnection c(t.port());
  std::string flood;
  for (int i = 0; i < 20; ++i) flood += Post("/p", "x");
  REQUIRE(c.Send(flood));
  int answered = 0;
  while (c.Read().has_value()) ++answered;
  CHECK(answered >= 1);
  CHECK(answered <= 5);
}

TEST_CASE("the handler can close the connection") {
  TestServer t;
  RawConnection c(t.port());
  REQUIRE(c.Send(Post("/close", "x")));
  auto r = c.Read();
  REQUIRE(r.has_value());
  CHECK(r->headers["connection"] == "close");
  CHECK(c.ClosedByPeer());
}

TEST_CASE("a body over the limit gets 413; a header over the limit gets 431") {
  ServerOptions options;
  options.max_body_bytes = 1024;
  TestServer t(options);
  {
    RawConnection c(t.port());
    REQUIRE(c.Send(Post("/echo", std::string(2048, 'a'))));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 413);
  }
  {
    // A chunked body has no length up front: it is cut off as it grows past the limit.
    RawConnection c(t.port());
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                   std::string(2048, 'a') + "\r\n0\r\n\r\n"));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 413);
  }
  {
    RawConnection c(t.port());
    c.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 431);
  }
  CHECK(Eventually([&] { return t.server->stats().too_large == 3; }));
  // The server still serves others.
  RawConnection c(t.port());
  REQUIRE(c.Send(Post("/echo", "ok")));
  CHECK(c.Read()->body == "ok");
}

TEST_CASE("gzip request bodies are inflated; bad gzip is 400; a bomb is 413") {
  ServerOptions options;
  options.max_body_bytes = 64 * 1024;
  TestServer t(options);
  std::string compressed;
  GzipDeflate("{\"hello\":1}", &compressed);
  {
    RawConnection c(t.port());
    REQUIRE(c.Send(Post("/echo", compressed, "Content-Encoding: gzip\r\n")));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "{\"hello\":1}");
  }
  {
    RawConnection c(t.port());
    REQUIRE(c.Send(Post("/echo", "not gzip at all", "Content-Encoding: gzip\r\n")));
    CHECK(c.Read()->status == 400);
  }
  {
    std::string bomb;
    GzipDeflate(std::string(8 * 1024 * 1024, ' '), &bomb);
    RawConnection c(t.port());
    REQUIRE(c.Send(Post("/echo", bomb, "Content-Encoding: gzip\r\n")));
    CHECK(c.Read()->status == 413);
  }
  {
    RawConnection c(t.port());
    REQUIRE(c.Send(Post("/echo", "x", "Content-Encoding: br\r\n")));
    CHECK(c.Read()->status == 415);
  }
}

TEST_CASE("large responses are gzipped when the client accepts gzip") {
  TestServer t;
  RawConnection c(t.port());
  REQUIRE(c.Send(Get("/big", "Accept-Encoding: gzip\r\n")));
  auto r = c.Read();
  REQUIRE(r.has_value());
  CHECK(r->headers["content-encoding"] == "gzip");
  std::string inflated;
  REQUIRE(GzipInflate(r->body, 1 << 20, &inflated).ok());
  CHECK(inflated == std::string(4096, 'x'));
  REQUIRE(c.Send(Get("/big")));
  auto plain = c.Read();
  REQUIRE(plain.has_value());
  CHECK(plain->headers.count("content-encoding") == 0);
  CHECK(plain->body.size() == 4096);
  // Small bodies are never compressed.
  REQUIRE(c.Send(Post("/echo", "tiny", "Accept-Encoding: gzip\r\n")));
  CHECK(c.Read()->headers.count("content-encoding") == 0);
}

TEST_CASE("malformed HTTP gets 400 and a closed connection") {
  TestServer t;
  for (const std::string& bad :
       {std::string("NONSENSE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"),
        std::string(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
        std::string("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        // Smuggling: a body whose end the server cannot know must not become the next request.
        std::string("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nGET /x "
                    "HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string(
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n"),
        std::string("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n0\r\n\r\n")}) {
    INFO(bad);
    RawConnection c(t.port());
    REQUIRE(c.Send(bad));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 400);
    CHECK(c.ClosedByPeer());
  }
}

TEST_CASE("a slow client is closed by the read timeout; others are served meanwhile") {
  ServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  TestServer t(options);
  RawConnection slow(t.port());
  REQUIRE(slow.Send("POST /echo HTTP/1.1\r\nHost: t\r\n"));  // and never finishes
  RawConnection other(t.port());
  REQUIRE(other.Send(Post("/echo", "fine")));
  CHECK(other.Read()->body == "fine");
  CHECK(slow.ClosedByPeer());
  CHECK(Eventually([&] { return t.server->stats().timeouts >= 1; }));
}

TEST_CASE("an idle keep-alive connection is closed by the idle timeout") {
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  TestServer t(options);
  RawConnection c(t.port());
  REQUIRE(c.Send(Post("/echo", "x")));
  REQUIRE(c.Read().has_value());
  CHECK(c.ClosedByPeer());
}

TEST_CASE("connections over the limit get 503 and existing ones keep working") {
  ServerOptions options;
  options.max_connections = 2;
  TestServer t(options);
  RawConnection a(t.port()), b(t.port());
  REQUIRE(a.Send(Post("/echo", "a")));
  REQUIRE(a.Read().has_value());
  REQUIRE(b.Send(Post("/echo", "b")));
  REQUIRE(b.Read().has_value());
  RawConnection extra(t.port());
  auto r = extra.Read();
  REQUIRE(r.has_value());
  CHECK(r->status == 503);
  REQUIRE(a.Send(Post("/echo", "still")));
  CHECK(a.Read()->body == "still");
  CHECK(t.server->stats().connections_rejected == 1);
}

TEST_CASE("a handler can take a body larger than the buffer limit as a stream") {
  ServerOptions options;
  options.max_body_bytes = 1024;
  TestServer t(options);
  RawConnection c(t.port());
  const std::string big(5 * 1024 * 1024, 'x');
  REQUIRE(c.Send(Post("/stream", big)));
  auto r = c.Read();
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->body.substr(0, r->body.find(' ')) == std::to_string(big.size()));
  CHECK(std::stoul(r->body.substr(r->body.find(' ') + 1)) > 1);  // arrived in pieces
  // The connection stays usable.
  REQUIRE(c.Send(Post("/echo", "after")));
  CHECK(c.Read()->body == "after");
  // A refused stream answers and closes; gzip uploads are refused outright.
  RawConnection refused(t.port());
  REQUIRE(refused.Send(Post("/stream?small", std::string(100'000, 'y'))));
  auto no = refused.Read();
  REQUIRE(no.has_value());
  CHECK(no->status == 413);
  CHECK(refused.ClosedByPeer());
  RawConnection zipped(t.port());
  REQUIRE(zipped.Send(Post("/stream", "abc", "Content-Encoding: gzip\r\n")));
  CHECK(zipped.Read()->status == 415);
}

TEST_CASE("HEAD answers the headers without the body") {
  TestServer t;
  RawConnection c(t.port());
  REQUIRE(c.Send("HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = c.Read(/*head=*/true);
  REQUIRE(head.has_value());
  CHECK(head->status == 200);
  CHECK(head->headers["content-length"] == "4096");
  // Had a body followed, it would now be read as the start of the next response.
  REQUIRE(c.Send(Post("/echo", "next")));
  auto next = c.Read();
  REQUIRE(next.has_value());
  CHECK(next->body == "next");
}

TEST_CASE("Expect: 100-continue is honoured") {
  TestServer t;
  RawConnection c(t.port());
  REQUIRE(c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  REQUIRE(c.Send("data"));
  auto r = c.Read();
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->body == "data");
}

TEST_CASE("several worker threads share one port") {
  ServerOptions options;
  options.threads = 3;
  TestServer t(options);
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < 12; ++i) {
    connections.push_back(std::make_unique<RawConnection>(t.port()));
    REQUIRE(connections.back()->Send(Post("/echo", std::to_string(i))));
  }
  for (int i = 0; i < 12; ++i) CHECK(connections[i]->Read()->body == std::to_string(i));
}

TEST_CASE("shutdown finishes the request in flight, closes idle connections, and stops accepting") {
  TestServer t;
  t.release = false;
  RawConnection idle(t.port());
  REQUIRE(idle.Send(Post("/echo", "x")));
  REQUIRE(idle.Read().has_value());
  RawConnection busy(t.port());
  REQUIRE(busy.Send(Post("/slow", "in-flight")));
  while (!t.entered) std::this_thread::yield();
  // Shutdown begins while the request is inside the handler.
  std::thread stopper([&] { t.server->Shutdown(absl::Seconds(5)); });
  t.release = true;
  auto r = busy.Read();
  REQUIRE(r.has_value());
  CHECK(r->body == "in-flight");
  CHECK(busy.ClosedByPeer());
  CHECK(idle.ClosedByPeer());  // closed without an answer
  stopper.join();
  RawConnection late(t.port(), 500);
  CHECK_FALSE(late.connected());
}

TEST_CASE("HTTP/1.1 conformance, table-driven by the rule each row checks") {
  // The server's clock stands still, so every answer's Date is known to the second.
  const vetrina::ManualClock clock(
      absl::FromCivil(absl::CivilSecond(1994, 11, 6, 8, 49, 37), absl::UTCTimeZone()));
  ServerOptions options;
  options.max_body_bytes = 1024;
  TestServer t(options, &clock);
  struct Row {
    const char* rule;
    std::string request;
    int status;
    const char* connection;  // the answer's Connection field, "" when absent
    bool closes;             // the server closes after the answer (else: serves another request)
    const char* path = nullptr;  // the path the handler saw, when it saw the request
    const char* body = nullptr;  // the body the handler saw
  };
  const std::string chunked_x = "\r\n\r\n1\r\nx\r\n0\r\n\r\n";
  const Row rows[] = {
      {"RFC 9110 §6.6.1 Date on a 2xx", Post("/echo", "x"), 200, "", false, "/echo", "x"},
      {"RFC 9110 §6.6.1 Date on a 204", Post("/nobody", ""), 204, "", false},
      {"RFC 9110 §6.6.1 Date on a 4xx the server answers itself", "GET / HTTP/9.9\r\n\r\n", 400,
       "close", true},
      {"RFC 9110 §6.6.1 Date on a 413", Post("/echo", std::string(2048, 'a')), 413, "close", true},
      {"RFC 9112 §3.2.2 an absolute-form target is routed by its path and query",
       "POST http://t/echo?q=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx", 200, "", false,
       "/echo", "x"},
      {"RFC 9112 §3.2.2 absolute-form: the scheme in any case; no path is \"/\"",
       "GET HTTPS://t:8080?q HTTP/1.1\r\nHost: t\r\n\r\n", 200, "", false, "/"},
      {"RFC 9112 §3.2 HTTP/1.1 without Host: 400", "GET /echo HTTP/1.1\r\n\r\n", 400, "close",
       true},
      {"RFC 9112 §3.2 two Host field lines: 400",
       "GET /echo HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n", 400, "close", true},
      {"RFC 9112 §3.2 two Host field lines in HTTP/1.0 too: 400",
       "GET /echo HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "close", true},
      {"RFC 9112 §3.2 HTTP/1.0 without Host is served", "GET /echo HTTP/1.0\r\n\r\n", 200, "", true,
       "/echo"},
      {"RFC 9112 §6.1 chunked, in any case, is the transfer coding we implement",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked" + chunked_x, 200, "", false,
       "/echo", "x"},
      {"RFC 9112 §6.1 a transfer coding we do not decode is refused: 501",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked" + chunked_x, 501,
       "close", true},
      {"RFC 9112 §6.1 a transfer coding we do not decode, on its own field line, is refused: 501",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked" +
           chunked_x,
       501, "close", true},
      {"RFC 9112 §6.1 Transfer-Encoding in HTTP/1.0: 400",
       "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked" + chunked_x, 400, "close", true},
      {"RFC 9112 §6.3 Transfer-Encoding with Content-Length: 400",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\nTransfer-Encoding: chunked" +
           chunked_x,
       400, "close", true},
      {"RFC 9112 §6.3 chunked not the last transfer coding: 400",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip" + chunked_x, 400,
       "close", true},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    RawConnection c(t.port());
    REQUIRE(c.Send(row.request));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == row.status);
    CHECK(r->headers["date"] == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(r->headers["connection"] == row.connection);
    if (row.path != nullptr) CHECK(r->headers["x-path"] == row.path);
    if (row.body != nullptr) CHECK(r->body == row.body);
    if (row.closes) {
      CHECK(c.ReadsCleanEof());
    } else {
      REQUIRE(c.Send(Post("/echo", "next")));
      auto next = c.Read();
      REQUIRE(next.has_value());
      CHECK(next->body == "next");
    }
  }
}

TEST_CASE("RFC 9112 §9.6: over the pipelining cap, every answer up to it, then a clean close") {
  TestServer t;  // max_pipelined 16
  RawConnection c(t.port());
  std::string flood;
  // 40 requests of about 1 KiB: more than one read from the socket, so some are still unread in
  // the kernel when the server stops.
  for (int i = 0; i < 40; ++i) flood += Post("/p", std::to_string(i) + std::string(1000, '.'));
  REQUIRE(c.Send(flood));
  int answered = 0;
  std::string last_connection;
  while (auto r = c.Read()) {
    CHECK(r->status == 200);
    CHECK(r->body.substr(0, r->body.find('.')) == std::to_string(answered));
    last_connection = r->headers["connection"];
    ++answered;
    if (last_connection == "close") break;
  }
  CHECK(answered == ServerOptions().max_pipelined + 1);  // one read's request and 16 pipelined
  CHECK(last_connection == "close");
  CHECK(c.ReadsCleanEof());  // not a reset: the unread requests were drained
}

TEST_CASE("RFC 9112 §9.6: a 413 reaches a client that sends the whole 10 MB body first") {
  TestServer t;  // max_body_bytes 256 KiB
  RawConnection c(t.port());
  // Sent in full before reading, as most clients do: the server drains what it refused.
  REQUIRE(c.Send(Post("/echo", std::string(10 * 1024 * 1024, 'b'))));
  auto r = c.Read();
  REQUIRE(r.has_value());
  CHECK(r->status == 413);
  CHECK(r->headers["connection"] == "close");
  CHECK(c.ReadsCleanEof());
}

TEST_CASE("the drain after a refusal is bounded: past linger_max_bytes the server stops reading") {
  ServerOptions options;
  options.linger_max_bytes = 64 * 1024;
  TestServer t(options);
  RawConnection c(t.port());
  // The server reads at most 64 KiB of the body, then closes: the rest cannot be sent.
  CHECK_FALSE(c.Send(Post("/echo", std::string(64 * 1024 * 1024, 'b'))));
}

}  // namespace
}  // namespace vetrina::http
