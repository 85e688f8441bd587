#include "engine/core/targeting.h"

#include <charconv>

#include "base/strings.h"

namespace vetrina::engine {

Version ParseVersion(std::string_view text) {
  Version v;
  while (!text.empty()) {
    int component = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), component);
    if (ec != std::errc() || component < 0) break;
    v.push_back(component);
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (text.empty() || text.front() != '.') break;
    text.remove_prefix(1);
  }
  return v;
}

int CompareVersions(const Version& a, const Version& b) {
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const int x = i < a.size() ? a[i] : 0;
    const int y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::optional<uint64_t> PackVersion(const Version& version) {
  if (version.size() > 4) return std::nullopt;
  uint64_t packed = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int component = i < version.size() ? version[i] : 0;
    if (component < 0 || component > 0xffff) return std::nullopt;
    packed = (packed << 16) | static_cast<uint64_t>(component);
  }
  return packed;
}

std::string_view PlacementName(Placement p) {
  switch (p) {
    case Placement::kBanner:
      return "banner";
    case Placement::kInterstitial:
      return "interstitial";
    case Placement::kRewarded:
      return "rewarded";
    case Placement::kNative:
      return "native";
    case Placement::kVideo:
      return "video";
  }
  return "banner";
}

RequestFacts MakeRequestFacts(const BidRequest& request, absl::Time now,
                              const std::vector<std::string>* segments) {
  RequestFacts f;
  f.country = request.device.country;
  f.region = request.device.region;
  f.os = request.device.os;
  f.os_version = ParseVersion(request.device.os_version);
  f.packed_os_version = PackVersion(f.os_version);
  f.device_type = request.device.device_type;
  f.connection_type = request.device.connection_type;
  f.app_bundle = request.publication.bundle;
  f.app_categories = &request.publication.categories;
  f.publisher = request.publication.publisher_id;
  f.language = request.device.language;
  const absl::Time local = now + absl::Minutes(request.device.utc_offset_minutes);
  const absl::CivilHour hour = absl::ToCivilHour(local, absl::UTCTimeZone());
  const int weekday = static_cast<int>(absl::GetWeekday(hour));  // Monday = 0
  f.hour_of_week = weekday * 24 + hour.hour();
  f.segments = segments;
  return f;
}

namespace {

bool HasSegment(const std::vector<std::string>* segments, const std::string& name) {
  return segments != nullptr && std::binary_search(segments->begin(), segments->end(), name);
}

}  // namespace

NoBidReason CheckTargeting(const Targeting& t, const RequestFacts& f) {
  if (!t.country.Allows(f.country)) return NoBidReason::kTargetingCountry;
  if (!t.region.Allows(f.region)) return NoBidReason::kTargetingRegion;
  if (!t.os.Allows(f.os)) return NoBidReason::kTargetingOs;
  if (!t.os_version.IsAny()) {
    if (f.os_version.empty()) return NoBidReason::kTargetingOsVersion;
    if (!t.os_version.min.empty() && CompareVersions(f.os_version, t.os_version.min) < 0) {
      return NoBidReason::kTargetingOsVersion;
    }
    if (!t.os_version.max.empty() && CompareVersions(f.os_version, t.os_version.max) > 0) {
      return NoBidReason::kTargetingOsVersion;
    }
  }
  if (!t.device_type.Allows(f.device_type)) return NoBidReason::kTargetingDeviceType;
  if (!t.connection_type.Allows(f.connection_type)) return NoBidReason::kTargetingConnectionType;
  if (!t.app_bundle.Allows(f.app_bundle)) return NoBidReason::kTargetingAppBundle;
  if (!t.app_category.IsAny()) {
    static const std::vector<std::string> kNone;
    if (!t.app_category.AllowsAny(f.app_categories ? *f.app_categories : kNone)) {
      return NoBidReason::kTargetingAppCategory;
    }
  }
  if (!t.publisher.Allows(f.publisher)) return NoBidReason::kTargetingPublisher;
  if (!t.language.Allows(f.language)) return NoBidReason::kTargetingLanguage;
  if (!t.hour_of_week.Allows(f.hour_of_week)) return NoBidReason::kTargetingHourOfWeek;
  const AudienceRule& a = t.audiences;
  if (!a.IsAny()) {
    for (const std::string& s : a.exclude) {
      if (HasSegment(f.segments, s)) return NoBidReason::kTargetingAudience;
    }
    for (const std::string& s : a.all_of) {
      if (!HasSegment(f.segments, s)) return NoBidReason::kTargetingAudience;
    }
    if (!a.any_of.empty() &&
        std::none_of(a.any_of.begin(), a.any_of.end(),
                     [&](const std::string& s) { return HasSegment(f.segments, s); })) {
      return NoBidReason::kTargetingAudience;
    }
  }
  return NoBidReason::kNone;
}

std::vector<Placement> ImpPlacements(const Imp& imp) {
  std::vector<Placement> p;
  if (imp.interstitial) p.push_back(Placement::kInterstitial);
  if (imp.rewarded) p.push_back(Placement::kRewarded);
  if (imp.native) p.push_back(Placement::kNative);
  if (imp.banner && !imp.interstitial && !imp.rewarded) p.push_back(Placement::kBanner);
  if (imp.video && !imp.interstitial && !imp.rewarded) p.push_back(Placement::kVideo);
  std::sort(p.begin(), p.end());
  return p;
}

std::vector<std::string> ImpSizes(const Imp& imp) {
  std::vector<std::string> sizes;
  if (imp.banner) {
    for (const Size& s : imp.banner->sizes) sizes.push_back(StrCat(s.w, "x", s.h));
  }
  if (imp.video && imp.video->size.w > 0) {
    sizes.push_back(StrCat(imp.video->size.w, "x", imp.video->size.h));
  }
  return sizes;
}

NoBidReason CheckImpTargeting(const Targeting& t, const Imp& imp) {
  if (!t.placement.IsAny() && !t.placement.AllowsAny(ImpPlacements(imp))) {
    return NoBidReason::kTargetingPlacement;
  }
  if (!t.size.IsAny() && !t.size.AllowsAny(ImpSizes(imp))) return NoBidReason::kTargetingSize;
  if (!t.deal.IsAny()) {
    std::vector<std::string> ids;
    for (const Deal& d : imp.deals) ids.push_back(d.id);
    if (!t.deal.AllowsAny(ids)) return NoBidReason::kTargetingDeal;
  }
  return NoBidReason::kNone;
}

}  // namespace vetrina::engine
