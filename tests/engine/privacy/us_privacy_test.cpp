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

TEST_CASE("US state sections decode by their layouts (iabgpp-es encode tests)") {
  // Rows name the state and the test of IABTechLab/iabgpp-es the string comes from.
  absl::StatusOr<UsState> va = DecodeUsState(9, "BVWSSVY");  // UsVa "should encode ... all"
  REQUIRE(va.ok());
  CHECK(va->name == "usva");
  CHECK(va->sale_opt_out == 1);
  CHECK(va->targeted_advertising_opt_out == 1);
  CHECK(va->known_child_sensitive_data_consents == std::vector<int>{1});
  CHECK_FALSE(va->gpc.has_value());
  REQUIRE(va->Field("sensitiveDataProcessing") != nullptr);
  CHECK(va->Field("sensitiveDataProcessing")->values == std::vector<int>{2, 1, 0, 2, 1, 0, 2, 1});
  CHECK(va->Field("mspaServiceProviderMode")->values == std::vector<int>{2});

  absl::StatusOr<UsState> ct = DecodeUsState(12, "BVWSSZFg.YA");  // UsCt "should encode to ..."
  REQUIRE(ct.ok());
  CHECK(ct->known_child_sensitive_data_consents == std::vector<int>{2, 1, 0});
  CHECK(ct->gpc == true);
  CHECK(ct->OptedOut());

  absl::StatusOr<UsState> nj = DecodeUsState(21, "BAAAAAAAQA.QA");  // UsNj default
  REQUIRE(nj.ok());
  CHECK(nj->Field("sensitiveDataProcessing")->values.size() == 10);
  CHECK(nj->known_child_sensitive_data_consents.size() == 5);
  CHECK(nj->gpc == false);
  CHECK_FALSE(nj->KnownChild());
  CHECK_FALSE(nj->OptedOut());

  // Indiana's second segment is sensitive-data consents, not GPC.
  absl::StatusOr<UsState> in = DecodeUsState(25, "BVVV.kkk");  // UsIn "all fields set"
  REQUIRE(in.ok());
  CHECK(in->Field("mspaVersion")->values == std::vector<int>{1});
  CHECK(in->Field("sensitiveDataProcessing")->values == std::vector<int>{2, 1, 0, 2, 1, 0, 2, 1});
  CHECK_FALSE(in->gpc.has_value());
  CHECK(in->KnownChild());

  // Maryland has no known-child field: a full opt-out is not a child.
  absl::StatusOr<UsState> md = DecodeUsState(24, "BVVU.YA");  // UsMd "all fields set"
  REQUIRE(md.ok());
  CHECK_FALSE(md->KnownChild());
  CHECK(md->OptedOut());

  for (int id = kGppFirstUsState; id <= kGppLastUsState; ++id) {
    INFO(id);
    CHECK(IsUsStateSection(id));
    CHECK(UsStateSectionName(id).substr(0, 2) == "us");
  }
  CHECK_FALSE(IsUsStateSection(7));
  CHECK_FALSE(IsUsStateSection(28));
}

TEST_CASE("malformed US state sections are errors") {
  struct Row {
    const char* why;
    int id;
    const char* section;
  };
  for (const Row& row : {
           Row{"iabgpp-es garbage test: 'z' is version 51", 9, "z"},
           Row{"version 2: a layout we do not know", 9, "CAAAABA"},
           Row{"truncated", 9, "BAAAA"},
           Row{"iabgpp-es UsCt decode of 'BbYbG22w': code 3 is undefined", 12, "BbYbG22w"},
           Row{"Virginia has no subsection", 9, "BAAAABA.QA"},
           Row{"a GPC subsection of the wrong type", 10, "BAAAAEA.AA"},
           Row{"Indiana's sensitive-data segment truncated", 25, "BQAA.AA"},
           Row{"not base64url", 16, "BAAAA!QA"},
           Row{"not a state section", 7, "BAAAAAAAAQA.QA"},
       }) {
    INFO(row.why);
    CHECK(DecodeUsState(row.id, row.section).status().code() == absl::StatusCode::kInvalidArgument);
  }
  // Inside a GPP string, a malformed state section makes the whole string malformed.
  CHECK(DecodeGpp("DBABVg~BAAAAAEA.QA").ok());  // usct (12) at its defaults
  CHECK_FALSE(DecodeGpp("DBABVg~BbYbG22w").ok());
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
