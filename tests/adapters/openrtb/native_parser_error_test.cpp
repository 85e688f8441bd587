#include <catch2/catch.hpp>
#include <string>

#include "../../support/files.h"
#include "adapters/openrtb/native_parser.h"

namespace vetrina::openrtb {
namespace {

absl::Status ParseStatus(const std::string& json) {
  NativeRequestParser parser;
  engine::NativeRequest native;
  return parser.Parse(json, &native);
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

void ExpectInvalid(const std::string& json, const std::string& message) {
  INFO(json);
  absl::Status s = ParseStatus(json);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(s) == message);
}

TEST_CASE("the request must be one JSON object") {
  for (const char* bad : {"", " ", "nul", "{", "}", "{\"assets\":[}", "{\"assets\" []}",
                          "{\"assets\":[],}", "{'assets':[]}", "not json"}) {
    INFO(bad);
    CHECK(ParseStatus(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  ExpectInvalid("[]", ": must be a JSON object");
  ExpectInvalid("\"{}\"", ": must be a JSON object");
  ExpectInvalid("42", ": must be a JSON object");
  ExpectInvalid("{} {}", ": trailing content after the object");
  ExpectInvalid(R"({"assets": []} x)", ": trailing content after the object");
  CHECK(ParseStatus("{\"assets\": []}  \n").ok());  // trailing whitespace is fine
}

TEST_CASE("every truncation of a valid request is refused") {
  const std::string valid = vetrina::testing::Fixture("native/request-social-context.json");
  REQUIRE(ParseStatus(valid).ok());
  const std::string end = valid.substr(0, valid.find_last_of('}') + 1);
  for (size_t len = 0; len < end.size(); ++len) {
    INFO(len);
    CHECK(ParseStatus(end.substr(0, len)).code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("wrong types name the field") {
  ExpectInvalid(R"({"assets": {"id": 1}})", "assets: must be an array");
  ExpectInvalid(R"({"assets": "none"})", "assets: must be an array");
  ExpectInvalid(R"({"assets": [1]})", "assets[0]: must be an object");
  ExpectInvalid(R"({"assets": [{"id": 1, "title": {}}, {"id": "2", "img": {}}]})",
                "assets[1].id: must be an integer");
  ExpectInvalid(R"({"assets": [{"id": 1.5, "title": {}}]})", "assets[0].id: must be an integer");
  ExpectInvalid(R"({"assets": [{"id": 1, "required": "yes", "title": {}}]})",
                "assets[0].required: must be an integer");
  ExpectInvalid(R"({"assets": [{"id": 1, "title": "big"}]})", "assets[0].title: must be an object");
  ExpectInvalid(R"({"assets": [{"id": 1, "data": {"type": "sponsored"}}]})",
                "assets[0].data.type: must be an integer");
  ExpectInvalid(R"({"ver": 1.2})", "ver: must be a string");
  ExpectInvalid(R"({"native": []})", "native: must be an object");
}

TEST_CASE("an asset must say what it is") {
  ExpectInvalid(R"({"assets": [{"id": 1}]})",
                "assets[0]: must have one of title, img, video, data");
  ExpectInvalid(R"({"assets": [{"id": 1, "title": {}}, {"id": 2, "required": 1, "link": {}}]})",
                "assets[1]: must have one of title, img, video, data");
  ExpectInvalid(R"({"native": {"assets": [{"id": 1}]}})",
                "native.assets[0]: must have one of title, img, video, data");
}

TEST_CASE("absurd numbers are refused, not wrapped") {
  ExpectInvalid(R"({"assets": [{"id": 1, "title": {"len": 4294967336}}]})",
                "assets[0].title.len: must be a 32-bit integer");
  ExpectInvalid(R"({"assets": [{"id": 1, "img": {"type": -2147483649}}]})",
                "assets[0].img.type: must be a 32-bit integer");
  ExpectInvalid(R"({"assets": [{"id": 1, "required": 1e300, "title": {}}]})",
                "assets[0].required: must be an integer");
  CHECK(ParseStatus(R"({"assets": [{"id": 99999999999999999999, "title": {}}]})").code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("deep nesting is refused, not recursed into") {
  std::string wrappers;
  for (int i = 0; i < 10'000; ++i) wrappers += "{\"native\":";
  wrappers += "{}";
  wrappers += std::string(10'000, '}');
  CHECK(ParseStatus(wrappers).code() == absl::StatusCode::kInvalidArgument);
  std::string deep_ext = "{\"assets\": [{\"id\": 1, \"title\": {}, \"ext\": ";
  for (int i = 0; i < 100; ++i) deep_ext += "[";
  deep_ext += std::string(100, ']') + "}]}";
  CHECK(ParseStatus(deep_ext).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a request over the size cap is refused before parsing") {
  std::string big = "{\"assets\": [], \"ext\": \"";
  big += std::string(NativeRequestParser::kMaxBytes, 'x');
  big += "\"}";
  ExpectInvalid(big, ": too large");
}

TEST_CASE("a parser that refused a request parses the next one") {
  NativeRequestParser parser;
  engine::NativeRequest native;
  CHECK_FALSE(parser.Parse(R"({"assets": [{"id": 1, "title": {}}, {"id": 2}]})", &native).ok());
  REQUIRE(parser.Parse(R"({"assets": [{"id": 3, "video": {}}]})", &native).ok());
  REQUIRE(native.assets.size() == 1);
  CHECK(native.assets[0].id == 3);
}

}  // namespace
}  // namespace vetrina::openrtb
