#include "adapters/http/request_head.h"

#include <string_view>

#include "absl/strings/match.h"

namespace vetrina::http {
namespace {

namespace bhttp = boost::beast::http;

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

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

}  // namespace

HttpRequest ToHttpRequest(const RequestHeader& head, int worker) {
  HttpRequest request;
  request.method = ToMethod(head.method());
  const std::string_view target = View(head.target());
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  request.query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  request.authorization = View(head[bhttp::field::authorization]);
  request.content_type = View(head[bhttp::field::content_type]);
  request.openrtb_version = View(head["x-openrtb-version"]);
  request.worker = worker;
  return request;
}

ContentCoding ContentCodingOf(const RequestHeader& head) {
  const std::string_view encoding = View(head[bhttp::field::content_encoding]);
  const absl::string_view value(encoding.data(), encoding.size());
  if (value.empty() || absl::EqualsIgnoreCase(value, "identity")) return ContentCoding::kIdentity;
  if (absl::EqualsIgnoreCase(value, "gzip")) return ContentCoding::kGzip;
  return ContentCoding::kUnsupported;
}

}  // namespace vetrina::http
