#include "engine/privacy/political_ads.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;

Campaign Political(bool with_transparency) {
  Campaign c = BannerCampaign("vote", kDollar);
  c.political = true;
  if (with_transparency) {
    c.political_transparency = PoliticalTransparency{
        .sponsor = "Citizens for Parks", .notice_url = "https://parks.example/ad-notice"};
  }
  return c;
}

// The request outside the EU: a US device, no GDPR or DSA signal.
BidRequest Outside() { return BannerRequest(); }

TEST_CASE("the EU's scope is read from regs.gdpr, regs.ext.dsa and the device's country") {
  struct Row {
    const char* signal;
    BidRequest request;
    bool in_scope;
  };
  BidRequest gdpr = Outside();
  gdpr.regs.gdpr = 1;
  BidRequest gdpr_zero = Outside();
  gdpr_zero.regs.gdpr = 0;
  BidRequest dsa_supported = Outside();
  dsa_supported.regs.dsa = DsaSignal{.required = 1};
  BidRequest dsa_not_required = Outside();
  dsa_not_required.regs.dsa = DsaSignal{.required = 0};
  BidRequest france = Outside();
  france.device.country = "FRA";
  BidRequest norway = Outside();
  norway.device.country = "NOR";
  BidRequest switzerland = Outside();
  switzerland.device.country = "CHE";
  BidRequest unknown = Outside();
  unknown.device.country.clear();
  const Row rows[] = {
      {"regs.gdpr = 1", gdpr, true},
      {"regs.gdpr = 0, US device", gdpr_zero, false},
      {"regs.ext.dsa, dsarequired 1: the publisher applies EU law", dsa_supported, true},
      {"regs.ext.dsa, dsarequired 0", dsa_not_required, false},
      {"device in an EU member state", france, true},
      {"device in the EEA outside the EU", norway, true},
      {"device in Switzerland (neither EU nor EEA)", switzerland, false},
      {"no country, no flags", unknown, false},
      {"US device, no flags", Outside(), false},
  };
  for (const Row& row : rows) {
    INFO(row.signal);
    CHECK(EuRulesApply(row.request) == row.in_scope);
  }
}

TEST_CASE("a political campaign without its transparency information never bids in the EU") {
  BidRequest eu = Outside();
  eu.regs.gdpr = 1;
  CHECK(CheckPoliticalAd(Political(false), eu) == NoBidReason::kPoliticalAdEu);
  // Art. 11: with its sponsor and notice it may.
  CHECK(CheckPoliticalAd(Political(true), eu) == NoBidReason::kNone);
  // Outside the EU the regulation does not apply.
  CHECK(CheckPoliticalAd(Political(false), Outside()) == NoBidReason::kNone);
  // Not political: nothing to check.
  CHECK(CheckPoliticalAd(BannerCampaign("shoes", kDollar), eu) == NoBidReason::kNone);
}

TEST_CASE("in the EU a political campaign does not target audiences (Art. 18 consent)") {
  BidRequest eu = Outside();
  eu.device.country = "DEU";
  Campaign c = Political(true);
  c.targeting.audiences.any_of = {"adv-vote/supporters"};
  CHECK(CheckPoliticalAd(c, eu) == NoBidReason::kPoliticalAdEu);
  CHECK(CheckPoliticalAd(c, Outside()) == NoBidReason::kNone);
}

TEST_CASE("every EU and EEA country is in scope, by its alpha-3 code") {
  for (const char* code : {"AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN",
                           "FRA", "GRC", "HRV", "HUN", "IRL", "ITA", "LTU", "LUX", "LVA", "MLT",
                           "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "SWE", "ISL", "LIE", "NOR"}) {
    INFO(code);
    CHECK(IsEuOrEeaCountry(code));
  }
  for (const char* code : {"GBR", "CHE", "USA", "TUR", "", "fra"}) {
    INFO(code);
    CHECK_FALSE(IsEuOrEeaCountry(code));
  }
  CHECK(NoBidReasonName(NoBidReason::kPoliticalAdEu) == "political_ad_eu");
}

}  // namespace
}  // namespace vetrina::engine
