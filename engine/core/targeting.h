// Campaign targeting: a conjunction of include/exclude constraints over the request, and the
// per-request facts it is checked against. An omitted dimension means "any".
//
//   RequestFacts facts = MakeRequestFacts(request, now, user_segments);
//   NoBidReason r = CheckTargeting(campaign.targeting, facts);   // request level
//   NoBidReason s = CheckImpTargeting(campaign.targeting, imp);   // imp level
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "engine/core/bid_request.h"
#include "engine/core/no_bid_reason.h"

namespace vetrina::engine {

// An include/exclude list over one request attribute. Both lists are sorted and unique. An
// empty include list means "any value"; a value must not be in the exclude list.
template <typename T>
struct Dimension {
  std::vector<T> include;
  std::vector<T> exclude;

  bool IsAny() const { return include.empty() && exclude.empty(); }

  // Single-valued attribute. An absent value never satisfies an include list. `V` may be any
  // type comparable with T (a string_view for strings: no allocation).
  template <typename V>
  bool Allows(const V& value) const {
    if (!include.empty() &&
        !std::binary_search(include.begin(), include.end(), value, std::less<>())) {
      return false;
    }
    return !std::binary_search(exclude.begin(), exclude.end(), value, std::less<>());
  }

  // Multi-valued attribute (app categories, imp sizes): some value included, none excluded.
  template <typename Range>
  bool AllowsAny(const Range& values) const {
    bool included = include.empty();
    for (const auto& v : values) {
      if (std::binary_search(exclude.begin(), exclude.end(), v, std::less<>())) return false;
      if (!included && std::binary_search(include.begin(), include.end(), v, std::less<>())) {
        included = true;
      }
    }
    return included;
  }
};

// A dotted numeric version ("17.4.1" -> {17, 4, 1}); compared component by component, missing
// components being 0.
using Version = std::vector<int>;
Version ParseVersion(std::string_view text);  // stops at the first non-numeric component
int CompareVersions(const Version& a, const Version& b);
// A version as one integer, 16 bits per component for the first four, so that the integers
// compare like CompareVersions; nullopt when it has more components or larger ones.
std::optional<uint64_t> PackVersion(const Version& version);

struct VersionRange {
  Version min;  // empty: unbounded
  Version max;  // empty: unbounded; inclusive
  bool IsAny() const { return min.empty() && max.empty(); }
};

// Audience segments by qualified name ("advertiser/audience"); each list sorted and unique.
struct AudienceRule {
  std::vector<std::string> any_of;
  std::vector<std::string> all_of;
  std::vector<std::string> exclude;
  bool IsAny() const { return any_of.empty() && all_of.empty() && exclude.empty(); }
};

enum class Placement : uint8_t { kBanner, kInterstitial, kRewarded, kNative, kVideo };
std::string_view PlacementName(Placement p);

struct Targeting {
  // Request level (indexed).
  Dimension<std::string> country;  // ISO-3166-1 alpha-3, upper case
  Dimension<std::string> region;   // as in geo.region, upper case
  Dimension<std::string> os;       // lower case
  Dimension<int> device_type;
  Dimension<int> connection_type;
  Dimension<std::string> app_bundle;
  Dimension<std::string> app_category;  // any of the app's/site's categories
  Dimension<std::string> publisher;
  Dimension<std::string> language;  // lower case
  Dimension<int> hour_of_week;      // 0 = Monday 00:00-00:59 in the user's local time
  AudienceRule audiences;
  // Request level (checked, not indexed).
  VersionRange os_version;
  // Imp level.
  Dimension<Placement> placement;
  Dimension<std::string> size;  // "320x50"
  Dimension<std::string> deal;  // imp.pmp.deals[].id
};

// What targeting reads of one request, computed once per request.
struct RequestFacts {
  std::string_view country;
  std::string_view region;
  std::string_view os;
  Version os_version;
  std::optional<uint64_t> packed_os_version;  // PackVersion(os_version)
  int device_type = 0;
  int connection_type = 0;
  std::string_view app_bundle;
  const std::vector<std::string>* app_categories = nullptr;
  std::string_view publisher;
  std::string_view language;
  int hour_of_week = 0;
  const std::vector<std::string>* segments = nullptr;  // sorted; may be null (no user data)
};

// `now` gives the hour of week, shifted by the device's UTC offset when the request has one.
// `segments` must outlive the facts.
RequestFacts MakeRequestFacts(const BidRequest& request, absl::Time now,
                              const std::vector<std::string>* segments);

NoBidReason CheckTargeting(const Targeting& targeting, const RequestFacts& facts);
NoBidReason CheckImpTargeting(const Targeting& targeting, const Imp& imp);

// The placements an imp offers (an interstitial rewarded video offers both).
std::vector<Placement> ImpPlacements(const Imp& imp);
std::vector<std::string> ImpSizes(const Imp& imp);

}  // namespace vetrina::engine
