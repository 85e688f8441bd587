#include <catch2/catch.hpp>

#include "adapters/openrtb/request_parser.h"

namespace vetrina::openrtb {
namespace {

absl::Status Parse(const std::string& imp_ext, engine::BidRequest* request) {
  BidRequestParser parser(256 * 1024);
  return parser.Parse(R"({"id":"r","imp":[{"id":"1","banner":{"w":320,"h":50},"ext":)" + imp_ext +
                          R"(}],"app":{"bundle":"880047117"},"device":{"os":"iOS"}})",
                      request);
}

TEST_CASE("imp.ext.skadn: the IAB Tech Lab SKAdNetwork extension's request fields") {
  engine::BidRequest r;
  // The extension's own example (skadnetwork.md, BidRequest.imp.ext.skadn), with skadnetids.
  REQUIRE(Parse(R"({"skadn":{"versions":["2.0","2.1","2.2","3.0","4.0"],"sourceapp":"880047117",
                   "productpage":1,"skadnetids":["CDKW7GEQSH.skadnetwork"],
                   "skadnetlist":{"max":306,"excl":[2,8,10,55],
                                  "addl":["cdkw7geqsh.skadnetwork","qyJfv329m4.skadnetwork"]},
                   "skoverlay":1,"ext":{}}})",
                &r)
              .ok());
  REQUIRE(r.imps[0].skadn.has_value());
  const engine::SkadnRequest& s = *r.imps[0].skadn;
  CHECK(s.versions == std::vector<std::string>{"2.0", "2.1", "2.2", "3.0", "4.0"});
  CHECK(s.source_app == "880047117");
  // skadnetids, then skadnetlist.addl, lower-cased as the extension has publishers list them.
  CHECK(s.network_ids == std::vector<std::string>{"cdkw7geqsh.skadnetwork",
                                                  "cdkw7geqsh.skadnetwork",
                                                  "qyjfv329m4.skadnetwork"});
  CHECK(s.product_page);
  CHECK(s.skoverlay);
}

TEST_CASE("imp.ext.skadn: the deprecated single version counts; absent or null is none") {
  engine::BidRequest r;
  REQUIRE(Parse(R"({"skadn":{"version":"2.0","sourceapp":"1","skadnetids":["a.skadnetwork"]}})", &r)
              .ok());
  REQUIRE(r.imps[0].skadn.has_value());
  CHECK(r.imps[0].skadn->versions == std::vector<std::string>{"2.0"});
  CHECK_FALSE(r.imps[0].skadn->product_page);

  engine::BidRequest none;
  REQUIRE(Parse(R"({"skadn":null})", &none).ok());
  CHECK_FALSE(none.imps[0].skadn.has_value());
  REQUIRE(Parse(R"({})", &none).ok());
  CHECK_FALSE(none.imps[0].skadn.has_value());
}

TEST_CASE("imp.ext.skadn of the wrong shape is a 400 naming the member") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {R"({"skadn":{"versions":"4.0"}})", "imp[0].ext.skadn.versions"},
      {R"({"skadn":{"skadnetids":[1]}})", "imp[0].ext.skadn.skadnetids"},
      {R"({"skadn":{"sourceapp":880047117}})", "imp[0].ext.skadn.sourceapp"},
      {R"({"skadn":{"skadnetlist":{"addl":"a.skadnetwork"}}})",
       "imp[0].ext.skadn.skadnetlist.addl"},
  };
  for (const auto& [ext, where] : rows) {
    INFO(ext);
    engine::BidRequest r;
    const absl::Status status = Parse(ext, &r);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(status.message()).find(where) != std::string::npos);
  }
}

}  // namespace
}  // namespace vetrina::openrtb
