#include "adapters/http/request_head.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vetrina::http {
namespace {

namespace bhttp = boost::beast::http;

// The header of `wire` ("METHOD target HTTP/1.1\r\n...\r\n\r\n"), parsed as the server parses it:
// into a body-less parser, header only.
bhttp::request<bhttp::empty_body> Parse(std::string_view wire) {
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.body_limit(boost::none);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(wire.data(), wire.size()), ec);
  INFO(std::string(wire));
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_header_done());
  return parser.release();
}

Method MethodOf(std::string_view wire) { return ToHttpRequest(Parse(wire), 0).method; }

// Path and query of the request in `wire`, copied while its header lives.
using PathQuery = std::pair<std::string, std::string>;
PathQuery Split(std::string_view wire) {
  const auto head = Parse(wire);
  const HttpRequest request = ToHttpRequest(head, 0);
  return {std::string(request.path), std::string(request.query)};
}

// A header built field by field, for what Beast's parser would refuse.
RequestHeader Header(std::string_view target) {
  RequestHeader head;
  head.method(bhttp::verb::get);
  head.target(boost::beast::string_view(target.data(), target.size()));
  head.version(11);
  return head;
}

TEST_CASE("methods map by Beast's verb; any other method, or another case, is kOther") {
  CHECK(MethodOf("GET / HTTP/1.1\r\n\r\n") == Method::kGet);
  CHECK(MethodOf("HEAD / HTTP/1.1\r\n\r\n") == Method::kHead);
  CHECK(MethodOf("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == Method::kPost);
  CHECK(MethodOf("PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == Method::kPut);
  CHECK(MethodOf("DELETE / HTTP/1.1\r\n\r\n") == Method::kDelete);
  CHECK(MethodOf("OPTIONS * HTTP/1.1\r\n\r\n") == Method::kOther);
  CHECK(MethodOf("PATCH / HTTP/1.1\r\n\r\n") == Method::kOther);
  CHECK(MethodOf("BREW / HTTP/1.1\r\n\r\n") == Method::kOther);
  CHECK(MethodOf("get / HTTP/1.1\r\n\r\n") == Method::kOther);
  CHECK(MethodOf("Post / HTTP/1.1\r\n\r\n") == Method::kOther);
}

TEST_CASE("the target splits at its first '?', which neither part keeps") {
  CHECK(Split("GET /openrtb2/bid?a=1&b=2 HTTP/1.1\r\n\r\n") ==
        PathQuery("/openrtb2/bid", "a=1&b=2"));
  CHECK(Split("GET /px HTTP/1.1\r\n\r\n") == PathQuery("/px", ""));
  CHECK(Split("GET /px? HTTP/1.1\r\n\r\n") == PathQuery("/px", ""));
  CHECK(Split("GET /a?b?c=d HTTP/1.1\r\n\r\n") == PathQuery("/a", "b?c=d"));
  CHECK(Split("GET /?x HTTP/1.1\r\n\r\n") == PathQuery("/", "x"));
}

TEST_CASE("a target is neither decoded nor normalised") {
  CHECK(Split("GET /a%20b/../c?q=%3F HTTP/1.1\r\n\r\n") == PathQuery("/a%20b/../c", "q=%3F"));
  CHECK(Split("OPTIONS * HTTP/1.1\r\n\r\n") == PathQuery("*", ""));
  // Without a leading '/': returned as it is, for the router to refuse.
  CHECK(Split("GET px?a=1 HTTP/1.1\r\n\r\n") == PathQuery("px", "a=1"));
  CHECK(Split("GET ?a=1 HTTP/1.1\r\n\r\n") == PathQuery("", "a=1"));
}

TEST_CASE("an empty target, which the parser refuses, maps to an empty path and query") {
  // Beast's parser answers "GET  HTTP/1.1" with bad_target; the mapping does not depend on that.
  const RequestHeader head = Header("");
  const HttpRequest r = ToHttpRequest(head, 0);
  CHECK(r.path.empty());
  CHECK(r.query.empty());
  CHECK(r.method == Method::kGet);
}

TEST_CASE("header fields: authorization, content type and x-openrtb-version, by any case") {
  const auto head = Parse(
      "POST /openrtb2/bid HTTP/1.1\r\n"
      "Host: x\r\n"
      "authorization: Bearer abc\r\n"
      "CONTENT-TYPE:   application/json; charset=utf-8  \r\n"
      "X-OpenRTB-Version: 2.6\r\n"
      "Content-Length: 0\r\n\r\n");
  const HttpRequest r = ToHttpRequest(head, 7);
  CHECK(r.authorization == "Bearer abc");
  CHECK(r.content_type == "application/json; charset=utf-8");  // the parser trims
  CHECK(r.openrtb_version == "2.6");
  CHECK(r.worker == 7);
  // Not the header's to say: the session fills these in.
  CHECK(r.body.empty());
  CHECK(r.received_at == absl::Time());
}

TEST_CASE("absent header fields are empty") {
  const auto head = Parse("GET /px HTTP/1.1\r\nHost: x\r\n\r\n");
  const HttpRequest r = ToHttpRequest(head, 0);
  CHECK(r.authorization.empty());
  CHECK(r.content_type.empty());
  CHECK(r.openrtb_version.empty());
  const auto empty = Parse("GET / HTTP/1.1\r\nAuthorization:\r\n\r\n");
  CHECK(ToHttpRequest(empty, 0).authorization.empty());
}

TEST_CASE("a duplicated header field: the first one counts") {
  const auto head = Parse(
      "GET / HTTP/1.1\r\n"
      "Authorization: Bearer first\r\n"
      "Content-Type: text/plain\r\n"
      "x-openrtb-version: 2.5\r\n"
      "Authorization: Bearer second\r\n"
      "Content-Type: application/json\r\n"
      "X-OPENRTB-VERSION: 2.6\r\n\r\n");
  const HttpRequest r = ToHttpRequest(head, 0);
  CHECK(r.authorization == "Bearer first");
  CHECK(r.content_type == "text/plain");
  CHECK(r.openrtb_version == "2.5");
}

TEST_CASE("the request views the header: nothing is copied, whatever the length") {
  // Far beyond the server's 8 KiB header limit: the mapping itself has none. (Beast stores a
  // target of any length, a field value of at most 64 KiB.)
  const std::string path = "/" + std::string(1 << 20, 'p');
  const std::string query(1 << 20, 'q');
  const std::string target = path + "?" + query;
  RequestHeader head = Header(target);
  const std::string token(60'000, 't');
  head.set(bhttp::field::authorization, token);
  const HttpRequest r = ToHttpRequest(head, 0);
  CHECK(r.path.size() == path.size());
  CHECK(r.query.size() == query.size());
  CHECK(r.path.data() == head.target().data());
  CHECK(r.query.data() == head.target().data() + path.size() + 1);
  CHECK(r.authorization.size() == token.size());
  CHECK(r.authorization.data() == head[bhttp::field::authorization].data());
}

TEST_CASE("the body's coding comes from the first Content-Encoding, in any case") {
  const auto coding = [](std::string_view field) {
    return ContentCodingOf(Parse("POST / HTTP/1.1\r\n" + std::string(field) + "\r\n\r\n"));
  };
  CHECK(coding("Host: x") == ContentCoding::kIdentity);
  CHECK(coding("Content-Encoding:") == ContentCoding::kIdentity);
  CHECK(coding("Content-Encoding: identity") == ContentCoding::kIdentity);
  CHECK(coding("content-encoding: IDENTITY") == ContentCoding::kIdentity);
  CHECK(coding("Content-Encoding: gzip") == ContentCoding::kGzip);
  CHECK(coding("Content-Encoding: GZip") == ContentCoding::kGzip);
  CHECK(coding("Content-Encoding: br") == ContentCoding::kUnsupported);
  CHECK(coding("Content-Encoding: x-gzip") == ContentCoding::kUnsupported);
  CHECK(coding("Content-Encoding: gzip, identity") == ContentCoding::kUnsupported);
  CHECK(coding("Content-Encoding: gzip\r\nContent-Encoding: br") == ContentCoding::kGzip);
  CHECK(coding("Content-Encoding: br\r\nContent-Encoding: gzip") == ContentCoding::kUnsupported);
}

TEST_CASE("the coding of a header built in code, as of one parsed") {
  RequestHeader head = Header("/");
  CHECK(ContentCodingOf(head) == ContentCoding::kIdentity);
  head.set(bhttp::field::content_encoding, "GZIP");
  CHECK(ContentCodingOf(head) == ContentCoding::kGzip);
  head.set(bhttp::field::content_encoding, "deflate");
  CHECK(ContentCodingOf(head) == ContentCoding::kUnsupported);
  head.erase(bhttp::field::content_encoding);
  CHECK(ContentCodingOf(head) == ContentCoding::kIdentity);
}

TEST_CASE("absolute-form targets, table-driven by the rule each row checks") {
  struct Row {
    const char* rule;
    const char* target;
    PathQuery expected;
  };
  const Row rows[] = {
      {"RFC 9112 §3.2.2 absolute-form routes by its path and query",
       "http://example.com/px?a=1",
       {"/px", "a=1"}},
      {"RFC 9112 §3.2.2 absolute-form with a port and userinfo-free authority",
       "http://127.0.0.1:8080/openrtb2/bid",
       {"/openrtb2/bid", ""}},
      {"RFC 9112 §3.2.2 https, too", "https://example.com/a/b?c", {"/a/b", "c"}},
      {"RFC 9110 §4.2.3 the scheme compares case-insensitively",
       "HtTp://example.com/px",
       {"/px", ""}},
      {"RFC 9110 §4.2.3 an empty path is \"/\"", "http://example.com", {"/", ""}},
      {"RFC 9110 §4.2.3 an empty path is \"/\", the query kept",
       "http://example.com?q=1",
       {"/", "q=1"}},
      {"RFC 9112 §3.2.2 the path is not decoded", "http://h/a%2Fb?x=%3F", {"/a%2Fb", "x=%3F"}},
      {"RFC 9112 §3.2 another scheme is not ours: left whole for the router to refuse",
       "ftp://h/px",
       {"ftp://h/px", ""}},
      {"RFC 9112 §3.2 a scheme without \"//\" is not absolute-form of ours",
       "http:/px",
       {"http:/px", ""}},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(Split("GET " + std::string(row.target) + " HTTP/1.1\r\nHost: h\r\n\r\n") == row.expected);
  }
}

TEST_CASE("a request's Host and framing fields, table-driven by the rule each row checks") {
  struct Row {
    const char* rule;
    const char* head;  // without the final empty line
    int status;        // 0: served
  };
  const Row rows[] = {
      {"RFC 9112 §3.2 HTTP/1.1 with one Host is served", "GET / HTTP/1.1\r\nHost: a", 0},
      {"RFC 9112 §3.2 HTTP/1.1 without Host: 400", "GET / HTTP/1.1", 400},
      {"RFC 9112 §3.2 two Host field lines: 400", "GET / HTTP/1.1\r\nHost: a\r\nhost: a", 400},
      {"RFC 9112 §3.2 HTTP/1.0 without Host is served", "GET / HTTP/1.0", 0},
      {"RFC 9112 §3.2 two Host field lines in HTTP/1.0: 400",
       "GET / HTTP/1.0\r\nHost: a\r\nHost: b", 400},
      {"RFC 9112 §3.2.2 absolute-form still needs Host in HTTP/1.1", "GET http://a/ HTTP/1.1", 400},
      {"RFC 9112 §6.1 chunked alone is accepted",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked",
       0},
      {"RFC 9112 §6.1 chunked in any case, with whitespace",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  CHUNKED ", 0},
      {"RFC 9110 §5.6.1 empty list elements do not count",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked,", 0},
      {"RFC 9112 §6.1 gzip before chunked, a coding we do not decode, is refused: 501",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked", 501},
      {"RFC 9112 §6.1 the codings of every field line count: 501",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: deflate\r\nTransfer-Encoding: chunked",
       501},
      {"RFC 9112 §6.1 Transfer-Encoding in HTTP/1.0: 400",
       "POST / HTTP/1.0\r\nTransfer-Encoding: chunked", 400},
      {"RFC 9112 §6.3 chunked not last: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip", 400},
      {"RFC 9112 §6.3 no chunked at all: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip", 400},
      {"RFC 9112 §7 chunked twice: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked", 400},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    const auto head = Parse(std::string(row.head) + "\r\n\r\n");
    const std::optional<HeadRefusal> refusal = CheckRequestHead(head);
    CHECK((refusal ? refusal->status : 0) == row.status);
    if (refusal) CHECK_FALSE(refusal->reason.empty());
  }
}

TEST_CASE("framing Beast's parser refuses itself is refused by the check too") {
  // Built field by field, as the parser would not let them through.
  {
    INFO("RFC 9112 §6.3 item 3 Transfer-Encoding with Content-Length: 400");
    RequestHeader head = Header("/");
    head.set(bhttp::field::host, "a");
    head.set(bhttp::field::content_length, "3");
    head.set(bhttp::field::transfer_encoding, "chunked");
    const std::optional<HeadRefusal> refusal = CheckRequestHead(head);
    REQUIRE(refusal.has_value());
    CHECK(refusal->status == 400);
  }
  {
    INFO("RFC 9112 §6.3 chunked last, then another field line: 400");
    RequestHeader head = Header("/");
    head.set(bhttp::field::host, "a");
    head.insert(bhttp::field::transfer_encoding, "chunked");
    head.insert(bhttp::field::user_agent, "between");
    head.insert(bhttp::field::transfer_encoding, "gzip");
    const std::optional<HeadRefusal> refusal = CheckRequestHead(head);
    REQUIRE(refusal.has_value());
    CHECK(refusal->status == 400);
  }
}

}  // namespace
}  // namespace vetrina::http
