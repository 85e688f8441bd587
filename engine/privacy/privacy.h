// Privacy rules: what a request's signals allow the bidder to do with the user, decided once per
// request before any lookup. COPPA and child-directed apps get contextual ads only; GDPR needs
// TCF consent for purposes 1, 3 and 4 and our vendor for personalised ads (and purpose 7 for
// personal data in measurement); a US opt-out of sale (US Privacy or GPP) turns off audience
// targeting (each US state's GPP section is normalised to usnat's terms first); a TCF 2.3 string
// that does not disclose our vendor is no consent; a known child is treated as COPPA; Apple ATT /
// LMT turns off IFA-based targeting and capping. Each rule that applied is named, for /metrics and
// the explain endpoint. docs/privacy.md states every rule.
//
//   PrivacyDecision d = DecidePrivacy(request, {.vendor_id = 1234, .child_directed_apps = &apps});
//   if (!d.audiences_allowed) -> no audience lookups
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"

namespace vetrina::engine {

enum class PrivacyRule : uint8_t {
  kCoppa,                  // regs.coppa = 1
  kChildDirectedApp,       // the network marked the app child-directed
  kGdprNoConsent,          // gdpr = 1 without consent to purposes 1, 3, 4 and our vendor
  kGdprNoMeasurement,      // gdpr = 1 without purpose 7: no personal data in notices
  kUsPrivacyOptOut,        // us_privacy: opted out of sale
  kGppOptOut,              // GPP usnat, a US state or uspv1: opted out of sale, sharing, targeting
  kGppUnreadable,          // GPP string malformed, or names a section we cannot read
  kAppTrackingLimited,     // device.lmt = 1, an all-zero IFA, or ATT status 0, 1 or 2
  kTcfVendorNotDisclosed,  // TCF 2.3: our vendor is not in DisclosedVendors (or it is missing)
  kKnownChild,             // GPP usnat or a US state section says the user is a known child
  kCount
};
std::string_view PrivacyRuleName(PrivacyRule rule);

struct PrivacyPolicy {
  int vendor_id = 0;  // our TCF vendor id; 0 = none registered: no GDPR consent ever matches
  const absl::flat_hash_set<std::string>* child_directed_apps = nullptr;  // app bundles
};

struct PrivacyDecision {
  uint32_t rules = 0;                    // bit per PrivacyRule that applied
  bool child_directed = false;           // only campaigns that opt in, without sensitive categories
  bool audiences_allowed = true;         // look the user up for audience targeting
  bool ifa_allowed = true;               // use the IFA as a key at all
  bool capping_allowed = true;           // count and cap impressions per user
  bool capping_ifv_only = false;         // ATT: the IFV is the one key capping may use
  bool personal_data_in_notices = true;  // the capping user hash in notice tokens

  bool Has(PrivacyRule rule) const { return rules & (1u << static_cast<int>(rule)); }
  bool restricted() const { return rules != 0; }
};

PrivacyDecision DecidePrivacy(const BidRequest& request, const PrivacyPolicy& policy);

// Whether a campaign may bid on child-directed inventory: it opted in and carries no sensitive
// category (alcohol, tobacco, gambling, dating, adult and the like).
bool ChildSafe(const Campaign& campaign);
bool IsSensitiveCategory(std::string_view iab_category);

// Data minimisation, applied right after parsing: IPv4 addresses keep their /24, IPv6 their /48.
void MinimiseRequest(BidRequest* request);
std::string TruncateIp(std::string_view ip);

}  // namespace vetrina::engine
