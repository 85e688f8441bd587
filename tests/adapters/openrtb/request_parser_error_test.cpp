// The parser's error paths: every malformed input becomes InvalidArgument naming the field (or
// ResourceExhausted for size), never a crash.
#include <catch2/catch.hpp>
#include <string>

#include "adapters/openrtb/request_parser.h"
#include "base/strings.h"

namespace vetrina::openrtb {
namespace {

absl::Status ParseStatus(const std::string& json, size_t max_bytes = 256 * 1024) {
  BidRequestParser parser(max_bytes);
  engine::BidRequest request;
  return parser.Parse(json, &request);
}

std::string Message(const absl::Status& s) { return std::string(View(s.message())); }

void ExpectInvalid(const std::string& json, const std::string& expected_message) {
  absl::Status s = ParseStatus(json);
  INFO(json);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(s) == expected_message);
}

constexpr char kImp[] = R"({"id":"1","banner":{"w":1,"h":1}})";

TEST_CASE("structural rules of the spec") {
  ExpectInvalid(StrCat(R"({"imp":[)", kImp, "]}"), "id: required");
  ExpectInvalid(R"({"id":"r"})", "imp: at least one imp is required");
  ExpectInvalid(R"({"id":"r","imp":[]})", "imp: at least one imp is required");
  ExpectInvalid(R"({"id":"r","imp":[{"banner":{}}]})", "imp[0].id: required");
  ExpectInvalid(StrCat(R"({"id":"r","imp":[)", kImp, ",", kImp, "]}"),
                "imp[1].id: duplicate \"1\"");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1"}]})",
                "imp[0]: needs one of banner, video, audio, native");
  ExpectInvalid(StrCat(R"({"id":"r","imp":[)", kImp, R"(],"site":{},"app":{}})"),
                "app: only one of site, app and dooh may be present");
}

TEST_CASE("wrong JSON types name the field") {
  ExpectInvalid(R"({"id":5,"imp":[]})", "id: must be a string");
  ExpectInvalid(R"({"id":"r","imp":{}})", "imp: must be an array");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1","banner":{"w":"300","h":1}}]})",
                "imp[0].banner.w: must be an integer");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1","banner":{"w":1.5,"h":1}}]})",
                "imp[0].banner.w: must be an integer");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1","banner":{"format":[{"w":1,"h":1},7]}}]})",
                "imp[0].banner.format[1]: must be an object");
  ExpectInvalid(StrCat(R"({"id":"r","imp":[)", kImp, R"(],"device":{"geo":{"country":1}}})"),
                "device.geo.country: must be a string");
  ExpectInvalid(StrCat(R"({"id":"r","imp":[)", kImp, R"(],"bcat":["IAB1",2]})"),
                "bcat[1]: must be a string");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1","bidfloor":"0.5","banner":{}}]})",
                "imp[0].bidfloor: must be a number");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1","bidfloor":-1,"banner":{}}]})",
                "imp[0].bidfloor: must be a non-negative price");
  ExpectInvalid(R"({"id":"r","imp":[{"id":"1","banner":{"w":99999999999,"h":1}}]})",
                "imp[0].banner.w: must be a 32-bit integer");
  ExpectInvalid("[1,2]", "request: must be an object");
  ExpectInvalid("\"just a string\"", "request: must be an object");
}

TEST_CASE("a broken native request string is reported inside the imp") {
  absl::Status s = ParseStatus(R"({"id":"r","imp":[{"id":"1","native":{"request":"{not json"}}]})");
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(s).rfind("imp[0].native.request", 0) == 0);
  s = ParseStatus(
      R"({"id":"r","imp":[{"id":"1","native":{"request":"{\"assets\":[{\"id\":1}]}"}}]})");
  CHECK(Message(s) == "imp[0].native.request.assets[0]: must have one of title, img, video, data");
}

TEST_CASE("nested native wrappers are refused, not recursed into") {
  std::string native;
  for (int i = 0; i < 20'000; ++i) native += "{\\\"native\\\":";
  native += "{}";
  for (int i = 0; i < 20'000; ++i) native += "}";
  const std::string request =
      StrCat(R"({"id":"r","imp":[{"id":"1","native":{"request":")", native, R"("}}]})");
  CHECK(ParseStatus(request).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("malformed JSON of every kind is rejected, never a crash") {
  const std::string valid = StrCat(R"({"id":"r","imp":[)", kImp, "]}");
  // Every truncation of a valid request.
  for (size_t len = 0; len < valid.size(); ++len) {
    INFO(len);
    CHECK(ParseStatus(valid.substr(0, len)).code() == absl::StatusCode::kInvalidArgument);
  }
  for (const std::string& bad :
       {std::string(""), std::string("{"), std::string("}"), std::string("nul"),
        std::string("{\"id\":\"r\",}"), valid + "garbage", valid + "{}",
        std::string("{\"id\":\"\\x\"}"), std::string("{\"id\":\"r\" \"imp\":[]}")}) {
    INFO(bad);
    CHECK(ParseStatus(bad).code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("invalid UTF-8 is rejected") {
  std::string bad = StrCat(R"({"id":"r)", std::string("\xff\xfe"), R"(","imp":[)", kImp, "]}");
  CHECK(ParseStatus(bad).code() == absl::StatusCode::kInvalidArgument);
  std::string overlong = StrCat(R"({"id":"r)", std::string("\xc0\xaf"), R"(","imp":[)", kImp, "]}");
  CHECK(ParseStatus(overlong).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("deep nesting is rejected, not recursed into") {
  for (size_t depth : {1025u, 10'000u}) {
    INFO(depth);
    std::string deep = StrCat(R"({"id":"r","imp":[)", kImp, R"(],"ext":)");
    deep.append(depth, '[');
    deep.append(depth, ']');
    deep.push_back('}');
    CHECK(ParseStatus(deep).code() == absl::StatusCode::kInvalidArgument);
  }
  // Inside every object the parser reads, not only at the root.
  const std::pair<const char*, const char*> kPlaces[] = {
      {R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1,"ext":)", "}}]}"},
      {R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1},"ext":{"x":)", "}}]}"},
      {R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1}}],"device":{"geo":{"x":)", "}}}"},
  };
  for (const auto& [prefix, suffix] : kPlaces) {
    INFO(prefix);
    std::string deep = prefix;
    deep.append(200, '[');
    deep.append(200, ']');
    CHECK(Message(ParseStatus(deep + suffix)).find("nesting too deep") != std::string::npos);
  }
  // Moderate nesting in unknown fields is fine.
  std::string moderate = StrCat(R"({"id":"r","imp":[)", kImp, R"(],"ext":)");
  moderate.append(20, '[');
  moderate.append(20, ']');
  CHECK(ParseStatus(moderate + "}").ok());
}

TEST_CASE("an oversized body is ResourceExhausted") {
  const std::string valid = StrCat(R"({"id":"r","imp":[)", kImp, "]}");
  CHECK(ParseStatus(valid, valid.size()).ok());
  CHECK(ParseStatus(valid, valid.size() - 1).code() == absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace vetrina::openrtb
