#include "engine/privacy/privacy.h"

#include <catch2/catch.hpp>

#include "engine/privacy/bit_reader.h"
#include "engine/privacy/tcf.h"
#include "engine/privacy/us_privacy.h"
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
  // A section that applies (Virginia, 9) but that the string does not carry: no statement.
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
  CHECK(Decide(r).Has(PrivacyRule::kKnownChild));
}

// TCF 2.3 (IAB Europe, policy version 5; DisclosedVendors mandatory for strings created from
// 28 February 2026): a vendor the CMP did not disclose has no consent, whatever the other segments
// say.
constexpr std::string_view kTcf23String =  // tcf.json "iabgpp-es-tcf23-publisher-tc": policy 5,
                                           // purposes 1, 3, 4, 5, 6; vendor consents 11, 28, 29;
                                           // DisclosedVendors 11, 28, 29, 50, 60, 80
    "CPTtLAAPTtLAAAAAAAENAAFgALwAAEAAAAAAAOgAgABgAAAA.IAoAAgABgAAEAQAAEAAA.d4AACEAAAAAA";

TcfString FullConsent(int policy_version, absl::Time created) {
  TcfString tc;
  for (int p : {1, 3, 4, 7}) tc.purpose_consents |= 1u << (p - 1);
  tc.vendor_consents.Add(kVendor, kVendor);
  tc.tcf_policy_version = policy_version;
  tc.created = tc.last_updated = created;
  return tc;
}

TEST_CASE("TCF 2.3: a vendor missing from DisclosedVendors gets no audience targeting") {
  BidRequest r = Request();
  r.regs.gdpr = 1;
  r.user.consent = std::string(kTcf23String);
  struct Row {
    const char* why;
    int vendor;
    bool not_disclosed, no_consent;
  };
  for (const Row& row : {
           Row{"disclosed and consented: consent stands (no purpose 7: measurement only)", 28,
               false, false},
           Row{"our vendor not disclosed: tcf_vendor_not_disclosed alone", kVendor, true, false},
           Row{"disclosed but not consented: gdpr_no_consent", 50, false, true},
       }) {
    INFO(row.why);
    for (const bool via_gpp : {false, true}) {
      INFO((via_gpp ? "GPP tcfeuv2" : "user.consent"));
      BidRequest q = r;
      if (via_gpp) {
        q.user.consent.clear();
        q.regs.gpp = "DBABMA~" + std::string(kTcf23String);
        q.regs.gpp_sid = {2};
      }
      const PrivacyDecision d = DecidePrivacy(q, {.vendor_id = row.vendor});
      CHECK(d.Has(PrivacyRule::kTcfVendorNotDisclosed) == row.not_disclosed);
      CHECK(d.Has(PrivacyRule::kGdprNoConsent) == row.no_consent);
      CHECK(d.audiences_allowed == !(row.not_disclosed || row.no_consent));
      if (row.not_disclosed) {
        CHECK_FALSE(d.ifa_allowed);
        CHECK_FALSE(d.capping_allowed);
        CHECK_FALSE(d.personal_data_in_notices);
        CHECK_FALSE(d.child_directed);
      }
    }
  }
}

TEST_CASE("TCF 2.3: a 2.3-era string without DisclosedVendors discloses no vendor") {
  const absl::Time deadline = absl::FromUnixSeconds(kTcf23DeadlineUnixSeconds);
  VendorSet us, others;
  us.Add(kVendor, kVendor);
  others.Add(kVendor - 1, kVendor - 1);
  others.Add(kVendor + 1, kVendor + 1);
  struct Row {
    const char* rule;
    TcfString tc;
    bool disclosed;
  };
  TcfString policy5_with_us = FullConsent(5, deadline + absl::Hours(24 * 10));
  policy5_with_us.disclosed_vendors = us;
  TcfString policy5_without_us = policy5_with_us;
  policy5_without_us.disclosed_vendors = others;
  for (const Row& row : {
           Row{"TCF 2.2 string created before 2026-02-28, no segment: still valid",
               FullConsent(4, deadline - absl::Hours(24)), true},
           Row{"created on 2026-02-28 without the segment: invalid under TCF 2.3",
               FullConsent(4, deadline), false},
           Row{"policy version 5 without the segment, even created before the deadline",
               FullConsent(5, deadline - absl::Hours(24 * 200)), false},
           Row{"policy version 5 disclosing our vendor", policy5_with_us, true},
           Row{"policy version 5 disclosing others only", policy5_without_us, false},
       }) {
    INFO(row.rule);
    BidRequest r = Request();
    r.regs.gdpr = 1;
    r.user.consent = EncodeTcf(row.tc);
    const PrivacyDecision d = Decide(r);
    CHECK(d.Has(PrivacyRule::kTcfVendorNotDisclosed) == !row.disclosed);
    CHECK(d.audiences_allowed == row.disclosed);
    CHECK(d.restricted() == !row.disclosed);
  }
}

// A GPP string of one section: the header (type 3, version 1, one Fibonacci-coded id) and `body`.
std::string GppOf(int section_id, std::string_view body) {
  Base64BitWriter w;
  w.Write(6, 3);
  w.Write(6, 1);
  w.Write(12, 1);
  w.Bit(false);
  std::vector<int> fib = {1, 2};
  while (fib.back() <= section_id) fib.push_back(fib[fib.size() - 1] + fib[fib.size() - 2]);
  std::vector<bool> bits(fib.size(), false);
  for (int i = static_cast<int>(fib.size()) - 1, rest = section_id; i >= 0; --i) {
    if (fib[i] <= rest) {
      bits[i] = true;
      rest -= fib[i];
    }
  }
  while (!bits.back()) bits.pop_back();
  for (bool b : bits) w.Bit(b);
  w.Bit(true);
  return w.Finish() + "~" + std::string(body);
}

TEST_CASE("every US state section is read and normalised to usnat (Prebid's normalisation)") {
  // gpp_us_states.json: each state's iabgpp-es encode tests. "all fields" opts out of sale and
  // targeted advertising and names a known child; "default" says nothing.
  struct Row {
    int id;
    const char* all_fields;
    const char* defaults;
  };
  for (const Row& row : {
           Row{9, "BVWSSVY", "BAAAABA"},
           Row{10, "BVWSSVg.YA", "BAAAAEA.QA"},
           Row{11, "BVVkklWA", "BAAAAAQA"},
           Row{12, "BVWSSZFg.YA", "BAAAAAEA.QA"},
           Row{13, "BVWSSZlY", "BAAAAABA"},
           Row{14, "BVWSSZFY.YA", "BAAAAABA.QA"},
           Row{15, "BVWSSRpFYA.YA", "BAAAAAABAA.QA"},
           Row{16, "BVWSSVWA.YA", "BAAAAAQA.QA"},
           Row{17, "BVWSSSSVYA.YA", "BAAAAAABAA.QA"},
           Row{18, "BVVkklWA.YA", "BAAAAAQA.QA"},
           Row{19, "BVWSSVWA.YA", "BAAAAAQA.QA"},
           Row{20, "BVWSSZFY.YA", "BAAAAABA.QA"},
           Row{21, "BVWSSRklWA.YA", "BAAAAAAAQA.QA"},
           Row{22, "BVWSSVWA.YA", "BAAAAAQA.QA"},
           Row{23, "BVWSSVWA.YA", "BAAAAAQA.QA"},
           Row{24, "BVVU.YA", "BQAA.QA"},
           Row{25, "BVVV.kkk", "BQAA.AAA"},
           Row{26, "BVVV.kkk", "BQAA"},
           Row{27, "BVVV.kkk", "BQAA.AAA"},
       }) {
    INFO(UsStateSectionName(row.id));
    BidRequest r = Request();
    r.regs.gpp_sid = {row.id};
    r.regs.gpp = GppOf(row.id, row.defaults);
    CHECK_FALSE(Decide(r).restricted());
    r.regs.gpp = GppOf(row.id, row.all_fields);
    const PrivacyDecision d = Decide(r);
    CHECK(d.Has(PrivacyRule::kGppOptOut));
    CHECK_FALSE(d.audiences_allowed);
    // Maryland's section has no known-child field.
    CHECK(d.Has(PrivacyRule::kKnownChild) == (row.id != 24));
    CHECK(d.child_directed == (row.id != 24));
    // Not applicable (gpp_sid names another section): the section is not consulted.
    r.regs.gpp_sid = {kGppUspV1};
    const PrivacyDecision other = Decide(r);
    CHECK(other.Has(PrivacyRule::kGppUnreadable));  // uspv1 applies but is absent
    CHECK_FALSE(other.Has(PrivacyRule::kGppOptOut));
    CHECK_FALSE(other.Has(PrivacyRule::kKnownChild));
    r.regs.gpp_sid.clear();  // every section of the string applies
    CHECK(Decide(r).Has(PrivacyRule::kGppOptOut));
  }
}

// A usva section (9): version 1, notices given, then the choices under test.
std::string UsVa(int sale, int targeted, int known_child) {
  Base64BitWriter w;
  w.Write(6, 1);
  for (int i = 0; i < 3; ++i) w.Write(2, 1);
  w.Write(2, sale);
  w.Write(2, targeted);
  for (int i = 0; i < 8; ++i) w.Write(2, 0);
  w.Write(2, known_child);
  w.Write(2, 1);  // MSPA covered transaction
  w.Write(2, 0);
  w.Write(2, 0);
  return w.Finish();
}

// A usco section (10) with everything answered "did not opt out" and the GPC subsection.
std::string UsCo(bool gpc) {
  Base64BitWriter w;
  w.Write(6, 1);
  for (int i = 0; i < 3; ++i) w.Write(2, 1);
  w.Write(2, 2);
  w.Write(2, 2);
  for (int i = 0; i < 7 + 1; ++i) w.Write(2, 0);
  w.Write(2, 1);
  w.Write(4, 0);
  Base64BitWriter sub;
  sub.Write(2, 1);
  sub.Bit(gpc);
  return w.Finish() + "." + sub.Finish();
}

TEST_CASE("a state section opts out on sale, targeted advertising, GPC or a known child") {
  struct Row {
    const char* rule;
    std::string section;
    int id;
    bool opt_out, known_child;
  };
  for (const Row& row : {
           Row{"usva: did not opt out", UsVa(2, 2, 0), 9, false, false},
           Row{"usva: SaleOptOut 1", UsVa(1, 2, 0), 9, true, false},
           Row{"usva: TargetedAdvertisingOptOut 1", UsVa(2, 1, 0), 9, true, false},
           Row{"usva: known child without consent (1)", UsVa(2, 2, 1), 9, true, true},
           Row{"usva: known child with parental consent (2) is still a child", UsVa(2, 2, 2), 9,
               true, true},
           Row{"usco: GPC off", UsCo(false), 10, false, false},
           Row{"usco: GPC on", UsCo(true), 10, true, false},
       }) {
    INFO(row.rule);
    BidRequest r = Request();
    r.regs.gpp = GppOf(row.id, row.section);
    r.regs.gpp_sid = {row.id};
    const PrivacyDecision d = Decide(r);
    CHECK(d.Has(PrivacyRule::kGppOptOut) == row.opt_out);
    CHECK(d.Has(PrivacyRule::kKnownChild) == row.known_child);
    CHECK(d.audiences_allowed == !row.opt_out);
    CHECK(d.child_directed == row.known_child);
    CHECK(d.capping_allowed == !row.known_child);
    CHECK(d.ifa_allowed == !row.known_child);
    CHECK(d.personal_data_in_notices == !row.known_child);
  }
  // An applicable state section that does not decode (a version the layout does not know).
  BidRequest r = Request();
  r.regs.gpp = GppOf(9, "CAAAABA");
  r.regs.gpp_sid = {9};
  CHECK(Decide(r).Has(PrivacyRule::kGppUnreadable));
  // A section id after the table's last state: not read, so unreadable when it applies.
  r.regs.gpp = GppOf(28, "BAAAABA");
  r.regs.gpp_sid = {28};
  CHECK(Decide(r).Has(PrivacyRule::kGppUnreadable));
}

TEST_CASE("usnat: a known child is COPPA, with or without consent") {
  BidRequest r = Request();
  r.regs.gpp_sid = {7};
  r.regs.gpp = "DBABLA~BAAAAAAAAQA.QA";  // GppModel "default all sections": nothing stated
  CHECK_FALSE(Decide(r).restricted());
  r.regs.gpp = "DBABLA~BAAAVVVVUQA.QA";  // GppModel "usnat v1 with v1 values": children [1, 1]
  PrivacyDecision d = Decide(r);
  CHECK(d.Has(PrivacyRule::kKnownChild));
  CHECK(d.Has(PrivacyRule::kGppOptOut));
  CHECK(d.child_directed);
  CHECK_FALSE(d.capping_allowed);
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
