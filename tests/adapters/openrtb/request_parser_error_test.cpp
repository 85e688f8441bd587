// The parser's error paths: every malformed input becomes InvalidArgument naming the field (or
// ResourceExhausted for size), never a crash.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

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

// Go, Python and JavaScript keep the last of duplicated members, simdjson the first: the exchange
// and we would read different requests, so a duplicate anywhere we read rejects the request.
TEST_CASE("a duplicated member of any object read is rejected, naming its path") {
  struct Row {
    const char* rule;
    std::string json;
    const char* message;
  };
  const std::string native_dup_asset =
      R"({\"assets\":[{\"id\":1,\"id\":2,\"title\":{\"len\":25}}]})";
  const Row kRows[] = {
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.1: imp given twice",
       R"({"id":"dup","imp":[{"id":"a","banner":{"w":1,"h":1}}],"imp":[{"id":"b","banner":{"w":1,"h":1}}]})",
       "request: duplicate member \"imp\""},
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.1: id given twice",
       StrCat(R"({"id":"a","imp":[)", kImp, R"(],"id":"b"})"), "request: duplicate member \"id\""},
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.4: a member of imp given twice",
       R"({"id":"r","imp":[{"id":"1","bidfloor":1,"banner":{"w":1,"h":1},"bidfloor":0}]})",
       "imp[0]: duplicate member \"bidfloor\""},
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.6: a member of banner given twice",
       R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1,"w":2}}]})",
       "imp[0].banner: duplicate member \"w\""},
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.5: a member of format given twice",
       R"({"id":"r","imp":[{"id":"1","banner":{"format":[{"w":1,"h":1,"h":2}]}}]})",
       "imp[0].banner.format[0]: duplicate member \"h\""},
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.18: a member of device given twice",
       StrCat(R"({"id":"r","imp":[)", kImp, R"(],"device":{"ifa":"x","os":"ios","ifa":"y"}})"),
       "device: duplicate member \"ifa\""},
      {"RFC 8259 §4 / OpenRTB 2.6 §3.2.3: a member of regs.ext given twice",
       StrCat(R"({"id":"r","imp":[)", kImp, R"(],"regs":{"ext":{"gdpr":0,"gdpr":1}}})"),
       "regs.ext: duplicate member \"gdpr\""},
      {"RFC 8259 §4 / Native 1.2 §4.2: a member of a native asset given twice",
       StrCat(R"({"id":"r","imp":[{"id":"1","native":{"request":")", native_dup_asset, R"("}},)",
              kImp, "]}"),
       "imp[0].native.request.assets[0]: duplicate member \"id\""},
      {"RFC 8259 §4: a key written with an escape is the same key",
       StrCat(R"({"id":"a","imp":[)", kImp, R"(],"i\u0064":"b"})"),
       "request: duplicate member \"id\""},
  };
  for (const Row& row : kRows) {
    INFO(row.rule);
    absl::Status s = ParseStatus(row.json);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(s) == row.message);
  }
}

TEST_CASE("the same key in different objects is not a duplicate") {
  CHECK(ParseStatus(R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1,"format":[{"w":1,"h":1},
    {"w":2,"h":2}]},"ext":{"id":1}}],"device":{"ext":{"ifv":"x"},"geo":{"ext":{}}}})")
            .ok());
  // An object with more members than the inline set holds still finds its duplicate.
  std::string wide = StrCat(R"({"id":"r","imp":[)", kImp, "]");
  for (int i = 0; i < 40; ++i) wide += StrCat(",\"k", i, "\":", i);
  CHECK(ParseStatus(wide + "}").ok());
  CHECK(Message(ParseStatus(wide + ",\"k3\":0}")) == "request: duplicate member \"k3\"");
}

struct Parsed {
  absl::Status status;
  engine::BidRequest request;
  ParseNotes notes;
};

Parsed ParseWithNotes(const std::string& json) {
  BidRequestParser parser(256 * 1024);
  Parsed p;
  p.status = parser.Parse(json, &p.request);
  p.notes = parser.notes();
  return p;
}

std::vector<std::string> ImpIds(const engine::BidRequest& request) {
  std::vector<std::string> ids;
  for (const engine::Imp& imp : request.imps) ids.push_back(imp.id);
  return ids;
}

TEST_CASE("a broken imp is dropped and noted; the other imps are answered") {
  struct Row {
    const char* rule;
    const char* broken_imp;
    ImpDropReason reason;
    const char* error;
  };
  const Row kRows[] = {
      {"Native 1.2 §4.1: the native request is not JSON",
       R"({"id":"n","native":{"request":"{not json"}})", ImpDropReason::kMalformed,
       "imp[1].native.request: invalid JSON"},
      {"Native 1.2 §4.1: assets is required", R"({"id":"n","native":{}})",
       ImpDropReason::kIncomplete, "imp[1].native.request.assets: at least one asset is required"},
      {"Native 1.2 §4.1: at least one asset",
       R"({"id":"n","native":{"request":"{\"assets\":[]}"}})", ImpDropReason::kIncomplete,
       "imp[1].native.request.assets: at least one asset is required"},
      {"Native 1.2 §4.2: an asset needs one of title, img, video, data",
       R"({"id":"n","native":{"request":{"assets":[{"id":1}]}}})", ImpDropReason::kMalformed,
       "imp[1].native.request.assets[0]: must have one of title, img, video, data"},
      {"OpenRTB 2.6 §3.2.6: banner.w is an integer",
       R"({"id":"n","banner":{"format":[{"w":"300","h":250}]}})", ImpDropReason::kMalformed,
       "imp[1].banner.format[0].w: must be an integer"},
      {"OpenRTB 2.6 §3.2.4: imp.id is required", R"({"banner":{"w":1,"h":1}})",
       ImpDropReason::kIncomplete, "imp[1].id: required"},
      {"OpenRTB 2.6 §3.2.4: an imp needs a media object", R"({"id":"n"})",
       ImpDropReason::kIncomplete, "imp[1]: needs one of banner, video, audio, native"},
  };
  for (const Row& row : kRows) {
    INFO(row.rule);
    const Parsed p = ParseWithNotes(StrCat(
        R"({"id":"r","imp":[{"id":"a","banner":{"w":300,"h":250}},)", row.broken_imp,
        R"(,{"id":"b","video":{"mimes":["video/mp4"],"w":640,"h":480}}],"device":{"os":"iOS"}})"));
    REQUIRE(p.status.ok());
    CHECK(ImpIds(p.request) == std::vector<std::string>{"a", "b"});
    CHECK(p.request.device.os == "ios");  // what follows the broken imp is still read
    REQUIRE(p.notes.dropped_imps.size() == 1);
    CHECK(p.notes.dropped_imps[0].index == 1);
    CHECK(p.notes.dropped_imps[0].reason == row.reason);
    CHECK(Message(p.notes.dropped_imps[0].error).rfind(row.error, 0) == 0);
  }
}

TEST_CASE("a request whose every imp is broken is rejected with the first imp's error") {
  const Parsed p =
      ParseWithNotes(R"({"id":"r","imp":[{"id":"1","native":{}},{"id":"2","banner":{"w":"x"}}]})");
  CHECK(p.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(p.status) == "imp[0].native.request.assets: at least one asset is required");
}

TEST_CASE("errors outside the imps, and broken JSON inside one, still reject the request") {
  const std::string imps = R"("imp":[{"id":"a","banner":{"w":1,"h":1}},{"id":"b","native":{}}])";
  CHECK(Message(ParseWithNotes(StrCat(R"({"id":7,)", imps, "}")).status) == "id: must be a string");
  CHECK(
      Message(ParseWithNotes(StrCat(R"({"id":"r",)", imps, R"(,"device":{"lmt":"no"}})")).status) ==
      "device.lmt: must be an integer");
  // JSON that is not well formed after a broken member of an imp: nothing after it can be
  // trusted, so the imp is not simply dropped.
  const Parsed broken = ParseWithNotes(
      R"({"id":"r","imp":[{"id":"a","banner":{"w":1,"h":1}},{"id":"b","banner":{"w":"x"},"y":{"a":[1,}}}]})");
  CHECK(broken.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(broken.status).find("invalid JSON") != std::string::npos);
}

TEST_CASE("an ext of the wrong type is ignored and counted, anywhere") {
  struct Row {
    const char* rule;
    std::string json;
    int ignored;
  };
  const Row kRows[] = {
      {"OpenRTB 2.6 §3.2.2: source.ext is exchange-specific",
       StrCat(R"({"id":"r","imp":[)", kImp, R"(],"source":{"ext":"test-ext"}})"), 1},
      {"OpenRTB 2.6 §3.2.4: imp.ext is exchange-specific",
       R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1},"ext":""}]})", 1},
      {"OpenRTB 2.6 §3.2.1: request ext", StrCat(R"({"id":"r","imp":[)", kImp, R"(],"ext":[1]})"),
       1},
      {"OpenRTB 2.6 §3.2.6/§3.2.7/§3.2.9: banner, video, native ext",
       R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1,"ext":1}},{"id":"2","video":{"ext":true}},
         {"id":"3","native":{"ext":"x","request":{"assets":[{"id":1,"title":{"len":9}}]}}}]})",
       3},
      {"OpenRTB 2.6 §3.2.18/§3.2.20/§3.2.3/§3.2.14: device, user, regs, app ext",
       StrCat(R"({"id":"r","imp":[)", kImp,
              R"(],"device":{"ext":"a"},"user":{"ext":2},"regs":{"ext":[]},"app":{"ext":"b"}})"),
       4},
      {"JSON null is an absent ext, not a wrong one",
       StrCat(R"({"id":"r","imp":[)", kImp, R"(],"source":{"ext":null},"device":{"ext":null}})"),
       0},
  };
  for (const Row& row : kRows) {
    INFO(row.rule);
    const Parsed p = ParseWithNotes(row.json);
    CHECK(p.status.ok());
    CHECK(p.notes.ignored_exts == row.ignored);
    CHECK(p.notes.dropped_imps.empty());
  }
}

TEST_CASE("fields read from an ext object still work") {
  const Parsed p = ParseWithNotes(R"({"id":"r",
    "imp":[{"id":"1","banner":{"w":1,"h":1},"ext":{"prebid":{"is_rewarded_inventory":1}}}],
    "device":{"ext":{"ifv":"v","atts":3}},"user":{"ext":{"consent":"CO"}},
    "regs":{"ext":{"gdpr":1}},"source":{"ext":{"schain":{}}}})");
  REQUIRE(p.status.ok());
  CHECK(p.request.imps[0].rewarded);
  CHECK(p.request.device.ifv == "v");
  CHECK(p.request.device.atts == 3);
  CHECK(p.request.user.consent == "CO");
  CHECK(p.request.regs.gdpr == 1);
  CHECK(p.request.has_schain);
  CHECK(p.notes.ignored_exts == 0);
}

}  // namespace
}  // namespace vetrina::openrtb

namespace vetrina::openrtb {
namespace {

TEST_CASE("OpenRTB 2.6 §3.2.25/§3.2.26: a SupplyChain of the wrong types names the field") {
  const std::string head = StrCat(R"({"id":"r","imp":[)", kImp, "],");
  ExpectInvalid(head + R"("source":{"schain":{"complete":"1"}}})",
                "source.schain.complete: must be an integer");
  ExpectInvalid(head + R"("source":{"schain":{"nodes":{}}}})",
                "source.schain.nodes: must be an array");
  ExpectInvalid(head + R"("source":{"ext":{"schain":{"nodes":[{"asi":5}]}}}})",
                "source.ext.schain.nodes[0].asi: must be a string");
}

}  // namespace
}  // namespace vetrina::openrtb
