#include "engine/privacy/privacy.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "engine/audience/audience_key.h"
#include "engine/privacy/tcf.h"
#include "engine/privacy/us_privacy.h"
#include "engine/targeting/eligibility.h"

namespace vetrina::engine {
namespace {

void Apply(PrivacyRule rule, PrivacyDecision* d) {
  d->rules |= 1u << static_cast<int>(rule);
  switch (rule) {
    case PrivacyRule::kCoppa:
    case PrivacyRule::kChildDirectedApp:
    case PrivacyRule::kKnownChild:
      d->child_directed = true;
      [[fallthrough]];
    case PrivacyRule::kGdprNoConsent:
    case PrivacyRule::kTcfVendorNotDisclosed:
      d->audiences_allowed = false;
      d->ifa_allowed = false;
      d->capping_allowed = false;
      d->personal_data_in_notices = false;
      break;
    case PrivacyRule::kGdprNoMeasurement:
      d->personal_data_in_notices = false;
      break;
    case PrivacyRule::kUsPrivacyOptOut:
    case PrivacyRule::kGppOptOut:
    case PrivacyRule::kGppUnreadable:
      d->audiences_allowed = false;
      break;
    case PrivacyRule::kAppTrackingLimited:
      d->audiences_allowed = false;
      d->ifa_allowed = false;
      d->capping_ifv_only = true;
      break;
    case PrivacyRule::kCount:
      break;
  }
}

// GDPR with a TCF string (nullptr: missing or malformed, which is no consent).
void ApplyTcf(const TcfString* tc, int vendor_id, PrivacyDecision* d) {
  // TCF 2.3: a vendor the CMP did not disclose to the user has no legal basis at all, whatever the
  // consent and legitimate-interest bits say; the one rule names why.
  if (tc != nullptr && vendor_id > 0 && !tc->VendorDisclosed(vendor_id)) {
    Apply(PrivacyRule::kTcfVendorNotDisclosed, d);
    return;
  }
  auto consented = [&](int purpose) {
    if (tc == nullptr || vendor_id <= 0 || !tc->PurposeConsent(purpose)) return false;
    // Not allowed for us, or allowed only on legitimate interest (which purposes 3 and 4 may not
    // use, and purpose 1 never could): no.
    const std::optional<int> restriction = tc->RestrictionFor(purpose, vendor_id);
    return !restriction || *restriction == 1;
  };
  const bool vendor = tc != nullptr && vendor_id > 0 && tc->vendor_consents.Contains(vendor_id);
  if (!(vendor && consented(1) && consented(3) && consented(4))) {
    Apply(PrivacyRule::kGdprNoConsent, d);
  }
  // Measurement (purpose 7) may rest on consent or on legitimate interest.
  const bool measurement =
      vendor_id > 0 && tc != nullptr &&
      ((consented(7) && vendor) ||
       (tc->PurposeLegitimateInterest(7) && tc->vendor_legitimate_interests.Contains(vendor_id) &&
        tc->RestrictionFor(7, vendor_id).value_or(2) == 2));
  if (!measurement) Apply(PrivacyRule::kGdprNoMeasurement, d);
}

// A known child whose data may not be processed (code 1: no consent): no personalisation.
bool NoChildConsent(const std::vector<int>& consents) {
  return std::find(consents.begin(), consents.end(), 1) != consents.end();
}

// Any known-child code other than 0 (not applicable), 1 (no consent) or 2 (consent) alike, says
// the user is a known child: treated as COPPA, nothing about them is used or kept.
bool KnownChild(const std::vector<int>& consents) {
  return std::any_of(consents.begin(), consents.end(), [](int c) { return c != 0; });
}

// A US state section, normalised as Prebid normalises state sections to usnat: opted out of sale
// or targeted advertising, or GPC, is an opt-out; any known-child code becomes usnat's "child
// without consent", so a known child is both an opt-out and COPPA.
void ApplyUsState(const UsState& state, PrivacyDecision* d) {
  if (state.KnownChild()) Apply(PrivacyRule::kKnownChild, d);
  if (state.OptedOut()) Apply(PrivacyRule::kGppOptOut, d);
}

void ApplyGpp(const Regs& regs, int vendor_id, bool* gdpr_done, PrivacyDecision* d) {
  absl::StatusOr<GppString> gpp = DecodeGpp(regs.gpp);
  if (!gpp.ok()) {
    Apply(PrivacyRule::kGppUnreadable, d);
    return;
  }
  // The sections that apply: gpp_sid, or every section of the string when it is absent.
  const std::vector<int>& applicable = regs.gpp_sid.empty() ? gpp->section_ids : regs.gpp_sid;
  for (int sid : applicable) {
    if (sid == kGppTcfEuV2) {
      if (!*gdpr_done) ApplyTcf(gpp->tcfeuv2 ? &*gpp->tcfeuv2 : nullptr, vendor_id, d);
      *gdpr_done = true;
    } else if (sid == kGppUspV1) {
      if (!gpp->uspv1) {
        Apply(PrivacyRule::kGppUnreadable, d);
      } else if (gpp->uspv1->OptedOutOfSale()) {
        Apply(PrivacyRule::kGppOptOut, d);
      }
    } else if (sid == kGppUsNat) {
      if (!gpp->usnat) {
        Apply(PrivacyRule::kGppUnreadable, d);
      } else {
        const UsNat& nat = *gpp->usnat;
        if (KnownChild(nat.known_child_sensitive_data_consents)) {
          Apply(PrivacyRule::kKnownChild, d);
        }
        if (nat.sale_opt_out == 1 || nat.sharing_opt_out == 1 ||
            nat.targeted_advertising_opt_out == 1 || nat.gpc == true ||
            NoChildConsent(nat.known_child_sensitive_data_consents)) {
          Apply(PrivacyRule::kGppOptOut, d);
        }
      }
    } else if (sid == kGppUsCa) {
      if (!gpp->usca) {
        Apply(PrivacyRule::kGppUnreadable, d);
      } else {
        const UsCa& ca = *gpp->usca;
        if (KnownChild(ca.known_child_sensitive_data_consents)) {
          Apply(PrivacyRule::kKnownChild, d);
        }
        if (ca.sale_opt_out == 1 || ca.sharing_opt_out == 1 || ca.gpc == true ||
            NoChildConsent(ca.known_child_sensitive_data_consents)) {
          Apply(PrivacyRule::kGppOptOut, d);
        }
      }
    } else if (IsUsStateSection(sid)) {
      const auto state = gpp->us_states.find(sid);
      if (state == gpp->us_states.end()) {
        Apply(PrivacyRule::kGppUnreadable, d);
      } else {
        ApplyUsState(state->second, d);
      }
    } else {
      // A section that applies but that we do not read (Canada's TCF, a section id newer than
      // our table): treat it as an opt-out rather than guess.
      Apply(PrivacyRule::kGppUnreadable, d);
    }
  }
}

// IAB content taxonomy 1.0 categories no child-directed ad may carry.
constexpr std::array<std::string_view, 8> kSensitive = {
    "IAB7-39",  // sexuality
    "IAB8-5",   // cocktails / beer
    "IAB8-18",  // wine
    "IAB9-7",   // card games (gambling)
    "IAB9-9",   // cigars
    "IAB14-1",  // dating
    "IAB25",    // non-standard content (adult, profanity, hate)
    "IAB26",    // illegal content
};

}  // namespace

std::string_view PrivacyRuleName(PrivacyRule rule) {
  switch (rule) {
    case PrivacyRule::kCoppa:
      return "coppa";
    case PrivacyRule::kChildDirectedApp:
      return "child_directed_app";
    case PrivacyRule::kGdprNoConsent:
      return "gdpr_no_consent";
    case PrivacyRule::kGdprNoMeasurement:
      return "gdpr_no_measurement";
    case PrivacyRule::kUsPrivacyOptOut:
      return "us_privacy_opt_out";
    case PrivacyRule::kGppOptOut:
      return "gpp_opt_out";
    case PrivacyRule::kGppUnreadable:
      return "gpp_unreadable";
    case PrivacyRule::kAppTrackingLimited:
      return "app_tracking_limited";
    case PrivacyRule::kTcfVendorNotDisclosed:
      return "tcf_vendor_not_disclosed";
    case PrivacyRule::kKnownChild:
      return "known_child";
    case PrivacyRule::kCount:
      break;
  }
  return "unknown";
}

PrivacyDecision DecidePrivacy(const BidRequest& request, const PrivacyPolicy& policy) {
  PrivacyDecision d;
  if (request.regs.coppa == 1) Apply(PrivacyRule::kCoppa, &d);
  if (policy.child_directed_apps != nullptr && !request.publication.bundle.empty() &&
      policy.child_directed_apps->contains(request.publication.bundle)) {
    Apply(PrivacyRule::kChildDirectedApp, &d);
  }
  bool gdpr_done = false;
  if (request.regs.gdpr == 1 && !request.user.consent.empty()) {
    absl::StatusOr<TcfString> tc = DecodeTcf(request.user.consent);
    ApplyTcf(tc.ok() ? &*tc : nullptr, policy.vendor_id, &d);
    gdpr_done = true;
  }
  if (!request.regs.gpp.empty()) ApplyGpp(request.regs, policy.vendor_id, &gdpr_done, &d);
  // gdpr = 1 and no consent string anywhere: no consent.
  if (request.regs.gdpr == 1 && !gdpr_done) ApplyTcf(nullptr, policy.vendor_id, &d);
  if (!request.regs.us_privacy.empty()) {
    absl::StatusOr<UsPrivacy> usp = DecodeUsPrivacy(request.regs.us_privacy);
    // A malformed string is no statement that the user allowed anything.
    if (!usp.ok() || usp->OptedOutOfSale()) Apply(PrivacyRule::kUsPrivacyOptOut, &d);
  }
  const Device& device = request.device;
  if (device.lmt == 1 || IsZeroIfa(device.ifa) ||
      (device.atts && *device.atts >= 0 && *device.atts <= 2)) {
    Apply(PrivacyRule::kAppTrackingLimited, &d);
  }
  return d;
}

bool IsSensitiveCategory(std::string_view category) {
  return std::any_of(kSensitive.begin(), kSensitive.end(),
                     [&](std::string_view blocked) { return CategoryBlocked(category, blocked); });
}

bool ChildSafe(const Campaign& campaign) {
  return campaign.child_directed &&
         std::none_of(campaign.categories.begin(), campaign.categories.end(),
                      [](const std::string& c) { return IsSensitiveCategory(c); });
}

std::string TruncateIp(std::string_view ip) {
  if (ip.find(':') == std::string_view::npos) {
    // IPv4: keep three octets.
    int octets[4];
    const char* p = ip.data();
    const char* end = ip.data() + ip.size();
    for (int i = 0; i < 4; ++i) {
      auto [next, ec] = std::from_chars(p, end, octets[i]);
      if (ec != std::errc() || octets[i] < 0 || octets[i] > 255) return "";
      p = next;
      if (i < 3) {
        if (p == end || *p != '.') return "";
        ++p;
      }
    }
    if (p != end) return "";
    return std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." +
           std::to_string(octets[2]) + ".0";
  }
  // IPv6: expand to 8 groups, keep the first 3 (/48).
  std::vector<std::string_view> head, tail;
  std::string_view rest = ip;
  const size_t gap = rest.find("::");
  auto split = [](std::string_view s, std::vector<std::string_view>* out) {
    while (!s.empty()) {
      const size_t colon = s.find(':');
      out->push_back(s.substr(0, colon));
      if (colon == std::string_view::npos) break;
      s.remove_prefix(colon + 1);
    }
  };
  if (gap != std::string_view::npos) {
    split(rest.substr(0, gap), &head);
    split(rest.substr(gap + 2), &tail);
  } else {
    split(rest, &head);
  }
  std::vector<std::string_view> groups = head;
  if (gap != std::string_view::npos) {
    if (head.size() + tail.size() >= 8) return "";
    groups.resize(8 - tail.size(), "0");
    groups.insert(groups.end(), tail.begin(), tail.end());
  }
  if (groups.size() != 8) return "";
  for (std::string_view g : groups) {
    if (g.empty() || g.size() > 4 ||
        g.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
      return "";  // not an address we can truncate: drop it rather than keep it whole
    }
  }
  std::string out;
  for (int i = 0; i < 3; ++i) {
    out.append(groups[i]);
    out.push_back(':');
  }
  out.append(":");
  return out;
}

void MinimiseRequest(BidRequest* request) {
  if (!request->device.ip.empty()) request->device.ip = TruncateIp(request->device.ip);
  if (!request->device.ipv6.empty()) request->device.ipv6 = TruncateIp(request->device.ipv6);
}

}  // namespace vetrina::engine
