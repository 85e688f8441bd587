// The tracking pixel: GET /px?a=ADVERTISER&e=EVENT&ifa=...&uid=...&p.KEY=VALUE, with the
// user's privacy signals when the page or app has them: coppa, gdpr, gdpr_consent, us_privacy,
// gpp, gpp_sid, lmt, atts (same meanings as in OpenRTB), and bundle, the app's bundle, which the
// network's registry of child-directed apps is checked against. Parsing the query, deciding
// whether the event may be stored, and turning it into membership updates by the advertiser's
// pixel audience rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/audience/audience.h"
#include "engine/audience/audience_key.h"
#include "engine/core/bid_request.h"
#include "engine/privacy/privacy.h"

namespace vetrina::audiences {

struct PixelHit {
  engine::PixelEvent event;
  std::vector<engine::AudienceKey> keys;  // from ifa and uid; zero IFAs are left out
  // The privacy signals, in a request's regs, user.consent, device.{ifa,lmt,atts} and
  // publication.bundle, for engine::DecidePrivacy.
  engine::BidRequest signals;
};

// InvalidArgument for a malformed query (missing or bad advertiser or event, no user id,
// too many parameters).
absl::StatusOr<PixelHit> ParsePixelQuery(std::string_view query);

// What the event's signals allow. Only when `audiences_allowed` may it change any membership:
// a child-directed event (coppa=1, a registered child-directed app, a known child) never does.
engine::PrivacyDecision PixelPrivacy(const PixelHit& hit, const engine::PrivacyPolicy& policy);

// The updates an event makes: removals for audiences it excludes from, additions (lasting the
// audience's membership days from `today`) for audiences whose rule it matches.
std::vector<engine::AudienceUpdate> PixelUpdates(const engine::AudienceRegistry& registry,
                                                 const PixelHit& hit, engine::Day today);

// %XX and '+' decoding; nullopt for a broken escape.
std::optional<std::string> UrlDecode(std::string_view text);

// A transparent 1x1 GIF.
std::string_view PixelGif();

}  // namespace vetrina::audiences
