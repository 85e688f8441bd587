#include "adapters/privacy/consent_json.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "../../support/files.h"

namespace vetrina::privacy {
namespace {

using simdjson::dom::element;

// One published vector from tests/fixtures/consent: its string and what its source asserts.
struct Vector {
  std::string text;
  std::string expected;  // the "expected" object, minified; "" for an invalid string
};

// Every vector of `file`, by id.
std::map<std::string, Vector> Vectors(const std::string& file) {
  static simdjson::dom::parser parser;
  const std::string text = vetrina::testing::Fixture("consent/" + file);
  simdjson::dom::array vectors;
  REQUIRE(parser.parse(text).get(vectors) == simdjson::SUCCESS);
  std::map<std::string, Vector> by_id;
  for (element v : vectors) {
    std::string_view id, string;
    REQUIRE(v["id"].get(id) == simdjson::SUCCESS);
    REQUIRE(v["string"].get(string) == simdjson::SUCCESS);
    element expected;
    Vector vector{std::string(string), ""};
    if (v["expected"].get(expected) == simdjson::SUCCESS) {
      vector.expected = simdjson::minify(expected);
    }
    by_id.emplace(std::string(id), std::move(vector));
  }
  return by_id;
}

// Checks that `actual` says what `expected` asserts, by the fixture README's conventions: an
// array is the exact list, {"includes", "excludes"} and {"count"} assert part of a list, an object
// asserts the fields it names (other fields are not asserted), scalars are equal.
void CheckAsserts(element expected, element actual, const std::string& path) {
  INFO(path);
  simdjson::dom::object object;
  simdjson::dom::array list;
  if (expected.get(object) == simdjson::SUCCESS && actual.get(list) == simdjson::SUCCESS) {
    for (auto [key, value] : object) {
      simdjson::dom::array ids;
      if (key == "count") {
        uint64_t count = 0;
        REQUIRE(value.get(count) == simdjson::SUCCESS);
        CHECK(list.size() == count);
        continue;
      }
      REQUIRE((key == "includes" || key == "excludes"));
      REQUIRE(value.get(ids) == simdjson::SUCCESS);
      for (element id : ids) {
        bool present = false;
        for (element x : list) present = present || simdjson::minify(x) == simdjson::minify(id);
        INFO(std::string(key) << " " << simdjson::minify(id));
        CHECK(present == (key == "includes"));
      }
    }
  } else if (expected.get(object) == simdjson::SUCCESS) {
    for (auto [key, value] : object) {
      element field;
      INFO("field " << key);
      REQUIRE(actual[key].get(field) == simdjson::SUCCESS);
      CheckAsserts(value, field, path + "/" + std::string(key));
    }
  } else if (expected.get(list) == simdjson::SUCCESS) {
    simdjson::dom::array got;
    REQUIRE(actual.get(got) == simdjson::SUCCESS);
    REQUIRE(got.size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      element want, have;
      REQUIRE(list.at(i).get(want) == simdjson::SUCCESS);
      REQUIRE(got.at(i).get(have) == simdjson::SUCCESS);
      CheckAsserts(want, have, path + "/" + std::to_string(i));
    }
  } else {
    CHECK(simdjson::minify(actual) == simdjson::minify(expected));
  }
}

// Parses what the adapter wrote (it must be one JSON object) and checks it against `expected`.
void CheckJson(const std::string& json, const std::string& expected) {
  INFO(json);
  simdjson::dom::parser parser;
  simdjson::dom::parser expected_parser;
  element actual, want;
  REQUIRE(parser.parse(json).get(actual) == simdjson::SUCCESS);
  REQUIRE(actual.type() == simdjson::dom::element_type::OBJECT);
  REQUIRE(expected_parser.parse(expected).get(want) == simdjson::SUCCESS);
  CheckAsserts(want, actual, "");
}

TEST_CASE("TCF strings decode to JSON with the fields their sources assert") {
  const std::map<std::string, Vector> vectors = Vectors("tcf.json");
  for (const char* id :
       {"gogdpr-bitfield-basic", "gogdpr-range-consent-and-li", "gogdpr-p1t-specialfeature-li",
        "iabtcf-java-core-full", "iabtcf-java-four-segments", "iabgpp-es-tcf23-publisher-tc",
        "tcf-spec-example-three-segments", "iabtcf-es-cli-readme"}) {
    INFO(id);
    const Vector& v = vectors.at(id);
    absl::StatusOr<engine::TcfString> tc = engine::DecodeTcf(v.text);
    INFO(tc.status().ToString());
    REQUIRE(tc.ok());
    CheckJson(TcfJson(*tc), v.expected);
  }
}

TEST_CASE("GPP strings decode to a header and their sections, decoded or raw") {
  const std::map<std::string, Vector> vectors = Vectors("gpp.json");
  for (const char* id : {"gpp-spec-example-1", "gpp-spec-example-3-fibonacci-range",
                         "gpp-tcfeuv2-uspv1", "gpp-usnat-v2-all-ones", "gpp-usnat-v1"}) {
    INFO(id);
    const Vector& v = vectors.at(id);
    absl::StatusOr<engine::GppString> gpp = engine::DecodeGpp(v.text);
    INFO(gpp.status().ToString());
    REQUIRE(gpp.ok());
    CheckJson(GppJson(*gpp), v.expected);
  }
}

TEST_CASE("US state sections print their fields and their usnat-normalised meaning") {
  // A GPP string with every section kind, each US state at its defaults: none opts out.
  const std::map<std::string, Vector> vectors = Vectors("gpp_us_states.json");
  const Vector& every = vectors.at("iabgpp-es-gppmodel-every-section");
  absl::StatusOr<engine::GppString> gpp = engine::DecodeGpp(every.text);
  INFO(gpp.status().ToString());
  REQUIRE(gpp.ok());
  CHECK(gpp->us_states.size() == 19);
  CheckJson(GppJson(*gpp), every.expected);

  // iabgpp-es UsCt "should encode to BVWSSZFg.YA": every choice made, a child named, GPC set.
  engine::GppString ct;
  ct.section_ids = {12};
  ct.sections = {{12, "BVWSSZFg.YA"}};
  absl::StatusOr<engine::UsState> state = engine::DecodeUsState(12, "BVWSSZFg.YA");
  REQUIRE(state.ok());
  ct.us_states.emplace(12, *state);
  CheckJson(GppJson(ct), R"({"sections": {"usct": {"raw": "BVWSSZFg.YA", "version": 1,
    "sharingNotice": 1, "saleOptOut": 1, "targetedAdvertisingOptOut": 1,
    "sensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1], "knownChildSensitiveDataConsents": [2, 1, 0],
    "mspaServiceProviderMode": 2, "gpc": true,
    "normalised": {"saleOptOut": 1, "targetedAdvertisingOptOut": 1, "gpc": true,
                   "knownChild": true, "optedOut": true}}}})");
}

TEST_CASE("a TCF string says whether TCF 2.3 requires it to disclose vendors") {
  const std::map<std::string, Vector> vectors = Vectors("tcf23.json");
  for (const auto& [id, v] : vectors) {
    INFO(id);
    absl::StatusOr<engine::TcfString> tc = engine::DecodeTcf(v.text);
    REQUIRE(tc.ok());
    CheckJson(TcfJson(*tc), v.expected);
  }
}

TEST_CASE("bare usnat sections decode to JSON, an absent GPC as false") {
  const std::map<std::string, Vector> vectors = Vectors("gpp.json");
  for (const char* id : {"usnat-section-v2-full", "usnat-section-v1-no-gpc"}) {
    INFO(id);
    const Vector& v = vectors.at(id);
    absl::StatusOr<engine::UsNat> usnat = engine::DecodeUsNat(v.text);
    INFO(usnat.status().ToString());
    REQUIRE(usnat.ok());
    // The vector's assertions are under "usnat"; wrap the section's JSON the same way.
    CheckJson("{\"usnat\":" + UsNatJson(*usnat) + "}", v.expected);
  }
}

TEST_CASE("US Privacy strings decode to their characters and what they mean") {
  const std::map<std::string, Vector> vectors = Vectors("usprivacy.json");
  for (const char* id : {"usp-spec-example-1", "usp-spec-example-2-optout",
                         "usp-spec-example-3-unknowns", "usp-spec-example-4-not-applicable"}) {
    INFO(id);
    const Vector& v = vectors.at(id);
    absl::StatusOr<engine::UsPrivacy> usp = engine::DecodeUsPrivacy(v.text);
    INFO(usp.status().ToString());
    REQUIRE(usp.ok());
    CheckJson(UsPrivacyJson(*usp), v.expected);
  }
}

TEST_CASE("every string the vectors call invalid is refused") {
  size_t invalid = 0;
  for (const auto& [id, v] : Vectors("tcf.json")) {
    if (!v.expected.empty()) continue;
    INFO(id);
    ++invalid;
    CHECK(engine::DecodeTcf(v.text).status().code() == absl::StatusCode::kInvalidArgument);
  }
  for (const auto& [id, v] : Vectors("gpp.json")) {
    if (!v.expected.empty()) continue;
    INFO(id);
    ++invalid;
    CHECK(engine::DecodeGpp(v.text).status().code() == absl::StatusCode::kInvalidArgument);
  }
  for (const auto& [id, v] : Vectors("usprivacy.json")) {
    if (!v.expected.empty()) continue;
    INFO(id);
    ++invalid;
    CHECK(engine::DecodeUsPrivacy(v.text).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(invalid == 10 + 6 + 6);  // the counts the fixtures' README states
}

TEST_CASE("custom purposes are numbered from the leftmost bit of their field") {
  engine::TcfString tc;
  tc.publisher_tc = engine::TcfString::PublisherTc{.purpose_consents = 0b101,
                                                   .purpose_legitimate_interests = 0,
                                                   .num_custom_purposes = 3,
                                                   .custom_purpose_consents = 0b100,
                                                   .custom_purpose_legitimate_interests = 0b011};
  CheckJson(TcfJson(tc), R"({"segments": ["core", "publisherTC"],
    "publisherTC": {"purposeConsents": [1, 3], "numCustomPurposes": 3,
                    "customPurposeConsents": [1], "customPurposeLegitimateInterests": [2, 3]}})");
}

TEST_CASE("optional TCF segments are listed only when present") {
  engine::TcfString tc;
  tc.vendor_consents.Add(3, 5);
  tc.vendor_consents.max_vendor_id = 5;
  tc.allowed_vendors.emplace();
  tc.allowed_vendors->Add(7, 7);
  tc.publisher_restrictions.push_back({.purpose_id = 2, .type = 1, .vendors = {}});
  tc.publisher_restrictions.back().vendors.Add(4, 4);
  CheckJson(TcfJson(tc), R"({"segments": ["core", "allowedVendors"], "allowedVendors": [7],
    "vendorConsentsMaxVendorId": 5, "vendorConsents": [3, 4, 5],
    "publisherRestrictions": [{"purposeId": 2, "restrictionType": 1, "vendorIds": [4]}]})");
  simdjson::dom::parser parser;
  element json;
  REQUIRE(parser.parse(TcfJson(tc)).get(json) == simdjson::SUCCESS);
  CHECK(json["disclosedVendors"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(json["publisherTC"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("a GPP section we do not decode is named by its id and kept raw") {
  engine::GppString gpp;
  gpp.section_ids = {6, 99};
  gpp.sections = {{6, "1YNN"}, {99, "abc\"def"}};  // uspv1 not decoded: raw only
  CheckJson(GppJson(gpp), R"({"header": {"type": 3, "version": 1, "sectionIds": [6, 99]},
    "sections": {"uspv1": {"raw": "1YNN"}, "section99": {"raw": "abc\"def"}}})");
  simdjson::dom::parser parser;
  element json;
  REQUIRE(parser.parse(GppJson(gpp)).get(json) == simdjson::SUCCESS);
  CHECK(json["sections"]["uspv1"]["notice"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("US Privacy \"1---\" says the CCPA does not apply") {
  absl::StatusOr<engine::UsPrivacy> usp = engine::DecodeUsPrivacy("1---");
  REQUIRE(usp.ok());
  CheckJson(UsPrivacyJson(*usp), R"({"version": 1, "notice": "-", "optOutSale": "-",
    "lspaCovered": "-", "ccpaApplies": false, "userOptedOutOfSale": false})");
}

}  // namespace
}  // namespace vetrina::privacy
