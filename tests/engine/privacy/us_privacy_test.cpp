#include "engine/privacy/us_privacy.h"

#include <catch2/catch.hpp>

namespace vetrina::engine {
namespace {

TEST_CASE("US Privacy strings: the opt-out of sale is the third character") {
  CHECK(DecodeUsPrivacy("1YYN")->OptedOutOfSale());
  CHECK_FALSE(DecodeUsPrivacy("1YNN")->OptedOutOfSale());
  CHECK_FALSE(DecodeUsPrivacy("1---")->Applies());
  for (std::string_view bad : {"", "1YN", "2YNN", "1yNN", "1YNNN", "1XNN"}) {
    CHECK_FALSE(DecodeUsPrivacy(bad).ok());
  }
}

TEST_CASE("a GPP string's header lists its sections; each is decoded or kept raw") {
  // The GPP spec's example 2: EU TCF v2 and US Privacy.
  absl::StatusOr<GppString> g =
      DecodeGpp("DBACNY~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN");
  REQUIRE(g.ok());
  CHECK(g->section_ids == std::vector<int>{2, 6});
  REQUIRE(g->tcfeuv2.has_value());
  REQUIRE(g->uspv1.has_value());
  CHECK_FALSE(g->uspv1->OptedOutOfSale());
  // Example 3: a Fibonacci-coded range 5..6 (Canada's TCF, kept raw, and US Privacy).
  g = DecodeGpp("DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN");
  REQUIRE(g.ok());
  CHECK(g->section_ids == std::vector<int>{5, 6});
  CHECK(g->sections.at(5) == "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA");
}

TEST_CASE("usnat: the opt-outs and the GPC flag") {
  // iabgpp-java's UsNat testDecode1.
  absl::StatusOr<UsNat> n = DecodeUsNat("CVVVkkkkkpFY.YA");
  REQUIRE(n.ok());
  CHECK(n->version == 2);
  CHECK(n->sale_opt_out == 1);
  CHECK(n->targeted_advertising_opt_out == 1);
  CHECK(n->sensitive_data_processing.size() == 16);
  CHECK(n->gpc == true);
  CHECK_FALSE(DecodeUsNat("CVVV").ok());  // truncated
}

TEST_CASE("malformed GPP strings are errors") {
  for (std::string_view bad :
       {"", "AAAA", "invalid gpp string", "DBACOeA~~1YNN", "DBABM", "DBABM~CPXx~extra",
        "DBGBM~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", "DBABTA~1YN"}) {
    INFO(bad);
    CHECK_FALSE(DecodeGpp(bad).ok());
  }
}

}  // namespace
}  // namespace vetrina::engine
