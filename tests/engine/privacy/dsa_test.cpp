#include "engine/privacy/dsa.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::kDollar;

// The IAB sample response's bid.ext.dsa (tests/fixtures/dsa/bid_dsa.json), with `adrender` set.
DsaInfo Info(int adrender) {
  return DsaInfo{.behalf = "Advertiser",
                 .paid = "Advertiser",
                 .adrender = adrender,
                 .transparency = {{.domain = "dsp1domain.com", .params = {1, 2}}}};
}

Regs WithDsa(int required, std::optional<int> pubrender = std::nullopt) {
  Regs regs;
  regs.dsa = DsaSignal{.required = required, .pubrender = pubrender};
  return regs;
}

Campaign WithInfo(std::optional<DsaInfo> info) {
  Campaign c = BannerCampaign("c", kDollar);
  c.dsa = std::move(info);
  return c;
}

// Each row is one rule of the DSA Transparency extension as Prebid Server's dsa/validate.go
// enforces it; the Prebid test case a row mirrors is named.
TEST_CASE("the DSA decision follows Prebid Server's validation of bid.ext.dsa") {
  struct Row {
    const char* rule;
    Regs regs;
    std::optional<DsaInfo> info;
    NoBidReason reason;
    bool attach;
  };
  const Row rows[] = {
      {"no regs.ext.dsa: nothing asked, nothing attached", Regs{}, Info(1), NoBidReason::kNone,
       false},
      {"dsarequired 0 (not_required_and_bid_is_nil)", WithDsa(0), std::nullopt, NoBidReason::kNone,
       false},
      {"dsarequired 0 with DSA info: not sent", WithDsa(0, 0), Info(1), NoBidReason::kNone, false},
      {"dsarequired 1 without DSA info: bids without it", WithDsa(1, 0), std::nullopt,
       NoBidReason::kNone, false},
      {"dsarequired 1 with DSA info: attached", WithDsa(1, 0), Info(1), NoBidReason::kNone, true},
      {"dsarequired 1, a conflict: bids without the object", WithDsa(1, 0), Info(0),
       NoBidReason::kNone, false},
      {"dsarequired 2 without DSA info (required_and_bid_is_nil)", WithDsa(2), std::nullopt,
       NoBidReason::kDsaMissing, false},
      {"dsarequired 3 without DSA info (online platform)", WithDsa(3, 1), std::nullopt,
       NoBidReason::kDsaMissing, false},
      {"dsarequired 2, pubrender 0, adrender 0 (required_and_neither_will_render)", WithDsa(2, 0),
       Info(0), NoBidReason::kDsaRenderConflict, false},
      {"dsarequired 2, pubrender 2, adrender 1 (required_and_both_will_render)", WithDsa(2, 2),
       Info(1), NoBidReason::kDsaRenderConflict, false},
      {"dsarequired 2, pubrender 0, adrender 1 (required_and_bid_dsa_is_valid)", WithDsa(2, 0),
       Info(1), NoBidReason::kNone, true},
      {"dsarequired 2, pubrender 2, adrender 0: the publisher renders", WithDsa(2, 2), Info(0),
       NoBidReason::kNone, true},
      {"dsarequired 3, pubrender 1: either may render", WithDsa(3, 1), Info(0), NoBidReason::kNone,
       true},
      {"dsarequired 3, pubrender 1, adrender 1", WithDsa(3, 1), Info(1), NoBidReason::kNone, true},
      {"dsarequired 2, no pubrender (required_and_bid_dsa_is_valid_no_pubrender)", WithDsa(2),
       Info(0), NoBidReason::kNone, true},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    const DsaDecision d = DecideDsa(WithInfo(row.info), row.regs);
    CHECK(d.reason == row.reason);
    CHECK(d.attach == row.attach);
  }
}

TEST_CASE("DSA is required for dsarequired 2 and 3 only (Prebid's TestDSARequired)") {
  CHECK_FALSE(DsaRequired(Regs{}));
  CHECK_FALSE(DsaRequired(WithDsa(0)));
  CHECK_FALSE(DsaRequired(WithDsa(1)));
  CHECK(DsaRequired(WithDsa(2)));
  CHECK(DsaRequired(WithDsa(3)));
}

TEST_CASE("the no-bid reasons have their metric names") {
  CHECK(NoBidReasonName(NoBidReason::kDsaMissing) == "dsa_missing");
  CHECK(NoBidReasonName(NoBidReason::kDsaRenderConflict) == "dsa_render_conflict");
}

}  // namespace
}  // namespace vetrina::engine
