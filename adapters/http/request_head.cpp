#include "adapters/http/request_head.h"

#include <optional>
#include <string_view>

#include "absl/strings/match.h"
#include "base/strings.h"

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

// What follows "http://" or "https://" (scheme in any case) in `target`; nullopt when `target` is
// not in that absolute form.
std::optional<std::string_view> AfterHttpScheme(std::string_view target) {
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() &&
        absl::EqualsIgnoreCase(absl::string_view(target.data(), scheme.size()),
                               absl::string_view(scheme.data(), scheme.size()))) {
      return target.substr(scheme.size());
    }
  }
  return std::nullopt;
}

bool IsChunked(std::string_view coding) {
  return absl::EqualsIgnoreCase(absl::string_view(coding.data(), coding.size()), "chunked");
}

}  // namespace

HttpRequest ToHttpRequest(const RequestHeader& head, int worker) {
  HttpRequest request;
  request.method = ToMethod(head.method());
  std::string_view target = View(head.target());
  bool absolute_form = false;
  if (std::optional<std::string_view> rest = AfterHttpScheme(target)) {
    // The authority ends where the path or the query begins.
    const size_t path_start = rest->find_first_of("/?");
    target = path_start == std::string_view::npos ? std::string_view() : rest->substr(path_start);
    absolute_form = true;
  }
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (absolute_form && request.path.empty()) request.path = "/";
  request.query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  request.authorization = View(head[bhttp::field::authorization]);
  request.content_type = View(head[bhttp::field::content_type]);
  request.openrtb_version = View(head["x-openrtb-version"]);
  request.worker = worker;
  return request;
}

std::optional<HeadRefusal> CheckRequestHead(const RequestHeader& head) {
  const size_t hosts = head.count(bhttp::field::host);
  if (hosts == 0 && head.version() >= 11) return HeadRefusal{400, "HTTP/1.1 requires Host"};
  if (hosts > 1) return HeadRefusal{400, "more than one Host"};
  if (head.count(bhttp::field::transfer_encoding) == 0) return std::nullopt;
  if (head.version() < 11) return HeadRefusal{400, "Transfer-Encoding in HTTP/1.0"};
  if (head.count(bhttp::field::content_length) > 0) {
    return HeadRefusal{400, "both Transfer-Encoding and Content-Length"};
  }
  int codings = 0;
  int chunked = 0;
  bool chunked_last = false;
  // In the order the field lines came: which coding is last matters.
  for (const auto& field : head) {
    if (field.name() != bhttp::field::transfer_encoding) continue;
    std::string_view list = View(field.value());
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view coding = StripAsciiWhitespace(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (coding.empty()) continue;  // RFC 9110 §5.6.1: empty list elements do not count
      ++codings;
      chunked_last = IsChunked(coding);
      chunked += chunked_last ? 1 : 0;
    }
  }
  if (!chunked_last) return HeadRefusal{400, "Transfer-Encoding must end in chunked"};
  if (codings > 1 && chunked > 1) return HeadRefusal{400, "chunked applied more than once"};
  if (codings > 1) return HeadRefusal{501, "the only transfer coding implemented is chunked"};
  return std::nullopt;
}

ContentCoding ContentCodingOf(const RequestHeader& head) {
  const std::string_view encoding = View(head[bhttp::field::content_encoding]);
  const absl::string_view value(encoding.data(), encoding.size());
  if (value.empty() || absl::EqualsIgnoreCase(value, "identity")) return ContentCoding::kIdentity;
  if (absl::EqualsIgnoreCase(value, "gzip")) return ContentCoding::kGzip;
  return ContentCoding::kUnsupported;
}

}  // namespace vetrina::http
