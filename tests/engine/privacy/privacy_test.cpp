#include "engine/privacy/privacy.h"

#include <catch2/catch.hpp>

#include "engine/privacy/bit_reader.h"
#include "engine/privacy/tcf.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;

constexpr int kVendor = 32;

std::string Consent(std::initializer_list<int> purposes, bool vendor = true,
                    std::vector<PublisherRestriction> restrictions = {}) {
  TcfString tc;
  for (int p : purposes) tc.purpose_consents |= 1u << (p - 1);
  if (vendor) tc.vendor_consents.Add(kVendor, kVendor);
  tc.publisher_restrictions = std::move(restrictions);
  return EncodeTcf(tc);
}

BidRequest Request() {
  BidRequest r = BannerRequest();
  r.device.ifa = "6D92078A-8246-4BA4-AE5B-76104861E7DC";
  r.device.ifv = "ifv-1";
  return r;
}

PrivacyDecision Decide(const BidRequest& r,
                       const absl::flat_hash_set<std::string>* kids = nullptr) {
  return DecidePrivacy(r, {.vendor_id = kVendor, .child_directed_apps = kids});
}

TEST_CASE("no signals: nothing is restricted") {
  const PrivacyDecision d = Decide(Request());
  CHECK_FALSE(d.restricted());
  CHECK(d.audiences_allowed);
  CHECK(d.ifa_allowed);
  CHECK(d.capping_allowed);
  CHECK(d.personal_data_in_notices);
}

TEST_CASE("COPPA and child-directed apps: contextual only, child-safe campaigns only") {
  BidRequest r = Request();
  r.regs.coppa = 1;
  PrivacyDecision d = Decide(r);
  CHECK(d.Has(PrivacyRule::kCoppa));
  CHECK(d.child_directed);
  CHECK_FALSE(d.audiences_allowed);
  CHECK_FALSE(d.capping_allowed);
  CHECK_FALSE(d.personal_data_in_notices);
  r.regs.coppa = 0;
  CHECK_FALSE(Decide(r).restricted());
  const absl::flat_hash_set<std::string> kids = {"com.example.app"};
  d = Decide(r, &kids);
  CHECK(d.Has(PrivacyRule::kChildDirectedApp));
  CHECK(d.child_directed);

  Campaign c = BannerCampaign("toys", kDollar);
  CHECK_FALSE(ChildSafe(c));  // not opted in
  c.child_directed = true;
  c.categories = {"IAB9-30"};
  CHECK(ChildSafe(c));
  c.categories = {"IAB8-5"};  // beer
  CHECK_FALSE(ChildSafe(c));
  c.categories = {"IAB25-3"};
  CHECK_FALSE(ChildSafe(c));
  CHECK(IsSensitiveCategory("IAB14-1"));
  CHECK_FALSE(IsSensitiveCategory("IAB14"));
}

TEST_CASE("GDPR: personalised needs purposes 1, 3, 4 and our vendor; measurement needs 7") {
  BidRequest r = Request();
  r.regs.gdpr = 1;
  r.user.consent = Consent({1, 3, 4, 7});
  CHECK_FALSE(Decide(r).restricted());

  r.user.consent = Consent({1, 3, 4});
  PrivacyDecision d = Decide(r);
  CHECK(d.Has(PrivacyRule::kGdprNoMeasurement));
  CHECK_FALSE(d.Has(PrivacyRule::kGdprNoConsent));
  CHECK(d.audiences_allowed);
  CHECK_FALSE(d.personal_data_in_notices);

  for (const std::string& consent :
       {Consent({1, 3, 7}), Consent({3, 4, 7}), Consent({1, 3, 4, 7}, /*vendor=*/false),
        std::string(""), std::string("garbage!"),
        std::string("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA")}) {
    INFO(consent);
    r.user.consent = consent;
    d = Decide(r);
    CHECK(d.Has(PrivacyRule::kGdprNoConsent));
    CHECK_FALSE(d.audiences_allowed);
    CHECK_FALSE(d.capping_allowed);
    CHECK_FALSE(d.ifa_allowed);
    CHECK_FALSE(d.personal_data_in_notices);
  }
  // A publisher restriction "not allowed" for our vendor on purpose 3 withdraws it.
  PublisherRestriction not_allowed{.purpose_id = 3, .type = 0, .vendors = {}};
  not_allowed.vendors.Add(kVendor, kVendor);
  r.user.consent = Consent({1, 3, 4, 7}, true, {not_allowed});
  CHECK(Decide(r).Has(PrivacyRule::kGdprNoConsent));
  // Our vendor id must be configured.
  r.user.consent = Consent({1, 3, 4, 7});
  CHECK(DecidePrivacy(r, {.vendor_id = 0}).Has(PrivacyRule::kGdprNoConsent));
  // gdpr = 0: the string is not consulted.
  r.regs.gdpr = 0;
  r.user.consent = "garbage!";
  CHECK_FALSE(Decide(r).restricted());
}

TEST_CASE("US privacy and GPP opt-outs turn off audience targeting only") {
  BidRequest r = Request();
  r.regs.us_privacy = "1YYN";
  PrivacyDecision d = Decide(r);
  CHECK(d.Has(PrivacyRule::kUsPrivacyOptOut));
  CHECK_FALSE(d.audiences_allowed);
  CHECK(d.capping_allowed);
  r.regs.us_privacy = "1YNN";
  CHECK_FALSE(Decide(r).restricted());
  r.regs.us_privacy = "bogus";
  CHECK(Decide(r).Has(PrivacyRule::kUsPrivacyOptOut));

  r.regs.us_privacy.clear();
  r.regs.gpp = "DBABLA~CVVVkkkkkpFY.YA";  // usnat: opted out of sale and targeted ads
  r.regs.gpp_sid = {7};
  CHECK(Decide(r).Has(PrivacyRule::kGppOptOut));
  r.regs.gpp = "DBABTA~1YNN";  // uspv1: not opted out
  r.regs.gpp_sid = {6};
  CHECK_FALSE(Decide(r).restricted());
  r.regs.gpp = "DBABTA~1YYN";
  CHECK(Decide(r).Has(PrivacyRule::kGppOptOut));
  r.regs.gpp = "not gpp";
  CHECK(Decide(r).Has(PrivacyRule::kGppUnreadable));
  // A section we do not read that applies (Virginia, 9) is treated as an opt-out.
  r.regs.gpp = "DBABTA~1YNN";
  r.regs.gpp_sid = {9};
  CHECK(Decide(r).Has(PrivacyRule::kGppUnreadable));
  // GPP's EU TCF section counts as the GDPR consent string.
  r.regs.gpp = "DBABM~" + Consent({1, 3, 4, 7});
  r.regs.gpp_sid = {2};
  r.regs.gdpr = 1;
  CHECK_FALSE(Decide(r).restricted());
  r.regs.gpp = "DBABM~" + Consent({1});
  CHECK(Decide(r).Has(PrivacyRule::kGdprNoConsent));
}

// A usca (GPP section 8) body: version 1, no opt-outs, then a GPC subsection when asked.
std::string UsCaSection(bool gpc, int known_child = 0) {
  Base64BitWriter w;
  w.Write(6, 1);
  for (int i = 0; i < 3; ++i) w.Write(2, 1);  // notices given
  w.Write(2, 2);                              // did not opt out of sale
  w.Write(2, 2);                              // nor of sharing
  for (int i = 0; i < 9; ++i) w.Write(2, 0);
  w.Write(2, known_child);
  w.Write(2, 0);
  for (int i = 0; i < 4; ++i) w.Write(2, 0);
  std::string out = w.Finish();
  Base64BitWriter sub;
  sub.Write(2, 1);
  sub.Bit(gpc);
  return out + "." + sub.Finish();
}

TEST_CASE("usca: Global Privacy Control and a known child's refusal are opt-outs") {
  BidRequest r = Request();
  r.regs.gpp_sid = {8};
  r.regs.gpp = "DBABBgA~" + UsCaSection(false);
  CHECK_FALSE(Decide(r).restricted());
  r.regs.gpp = "DBABBgA~" + UsCaSection(true);
  CHECK(Decide(r).Has(PrivacyRule::kGppOptOut));
  r.regs.gpp = "DBABBgA~" + UsCaSection(false, /*known_child=*/1);
  CHECK(Decide(r).Has(PrivacyRule::kGppOptOut));
}

TEST_CASE("ATT and LMT: no IFA-based targeting or capping; the IFV may still cap") {
  BidRequest r = Request();
  for (int atts : {0, 1, 2}) {
    r.device.atts = atts;
    PrivacyDecision d = Decide(r);
    CHECK(d.Has(PrivacyRule::kAppTrackingLimited));
    CHECK_FALSE(d.ifa_allowed);
    CHECK_FALSE(d.audiences_allowed);
    CHECK(d.capping_allowed);
    CHECK(d.capping_ifv_only);
  }
  r.device.atts = 3;  // authorised
  CHECK_FALSE(Decide(r).restricted());
  r.device.atts.reset();
  r.device.lmt = 1;
  CHECK(Decide(r).Has(PrivacyRule::kAppTrackingLimited));
  r.device.lmt = 0;
  r.device.ifa = "00000000-0000-0000-0000-000000000000";
  CHECK(Decide(r).Has(PrivacyRule::kAppTrackingLimited));
}

TEST_CASE("IP addresses are truncated before any use: IPv4 to /24, IPv6 to /48") {
  CHECK(TruncateIp("203.0.113.77") == "203.0.113.0");
  CHECK(TruncateIp("2001:db8:85a3:8d3:1319:8a2e:370:7348") == "2001:db8:85a3::");
  CHECK(TruncateIp("2001:db8::1") == "2001:db8:0::");
  CHECK(TruncateIp("::1") == "0:0:0::");
  for (std::string_view bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "1::2::3", "::ffff:1.2.3.4", "12345::"}) {
    INFO(bad);
    CHECK(TruncateIp(bad).empty());
  }
  BidRequest r = Request();
  r.device.ip = "198.51.100.23";
  r.device.ipv6 = "2001:db8:1:2:3:4:5:6";
  MinimiseRequest(&r);
  CHECK(r.device.ip == "198.51.100.0");
  CHECK(r.device.ipv6 == "2001:db8:1::");
}

}  // namespace
}  // namespace vetrina::engine
