// The HTTP request path: bytes parsed as the server parses them (Beast, the server's limits),
// then routed through the public handler (bids, pixel, notices) as a request would be.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/service/bid_handler.h"
#include "adapters/service/bidder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vetrina;
  namespace bhttp = boost::beast::http;
  static vetrina::RealClock clock;
  static service::Bidder bidder(clock, {});
  static service::BidHandler handler(bidder, 0);
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(256 * 1024);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  const auto& message = parser.get();
  http::HttpRequest request;
  const std::string target(message.target());
  const size_t q = target.find('?');
  request.path = std::string_view(target).substr(0, q);
  request.query =
      q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
  request.method = message.method() == bhttp::verb::post  ? http::Method::kPost
                   : message.method() == bhttp::verb::get ? http::Method::kGet
                                                          : http::Method::kOther;
  request.body = message.body();
  request.received_at = clock.Now();
  http::HttpResponse response;
  handler.Handle(request, &response);
  if (response.status >= 500) __builtin_trap();  // bad input must never be a server error
  return 0;
}
