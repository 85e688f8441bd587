// The HTTP request path: bytes parsed as the server parses them (Beast, the server's limits),
// checked and mapped to a request by the server's own code (CheckRequestHead, ToHttpRequest,
// ContentCodingOf, GzipInflate), then routed through the public handler (bids, pixel, notices) as
// a request would be. Only the socket and the coroutines are left out: the fuzzing build cannot
// compile them.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/http/gzip.h"
#include "adapters/http/request_head.h"
#include "adapters/service/bid_handler.h"
#include "adapters/service/bidder.h"

namespace {

// The defaults of http::ServerOptions, which the fuzzing build does not compile.
constexpr size_t kMaxHeaderBytes = 8 * 1024;
constexpr size_t kMaxBodyBytes = 256 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vetrina;
  namespace bhttp = boost::beast::http;
  static vetrina::RealClock clock;
  static engine::EpochDomain epoch;
  static engine::MoneyState money;
  static service::Bidder bidder(
      clock, epoch, {},
      {.money = &money, .notice_secret = "fuzz notice", .user_secret = "fuzz user"});
  static service::BidHandler handler(bidder, 0);
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxBodyBytes);
  // The server reads until the message is done; without this, put stops after the header and a
  // request with a body would never reach the handler.
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  const auto& message = parser.get();
  // What the server refuses before a handler sees the request.
  if (http::CheckRequestHead(message)) return 0;
  const http::ContentCoding coding = http::ContentCodingOf(message);
  if (coding == http::ContentCoding::kUnsupported) return 0;
  http::HttpRequest request = http::ToHttpRequest(message, 0);
  request.body = message.body();
  std::string inflated;
  if (coding == http::ContentCoding::kGzip) {
    if (!http::GzipInflate(message.body(), kMaxBodyBytes, &inflated).ok()) return 0;
    request.body = inflated;
  }
  request.received_at = clock.Now();
  http::HttpResponse response;
  handler.Handle(request, &response);
  if (response.status >= 500) __builtin_trap();  // bad input must never be a server error
  return 0;
}
