// Audiences: an advertiser's named set of users, either uploaded (custom) or built from its
// tracking pixel by a rule ("added to cart in the last 7 days, value >= 50, and did not buy").
//
//   PixelEvent e{.event = "add_to_cart", .params = {{"value", "79.90"}}};
//   if (RuleExcludes(rule, e)) remove; else if (RuleMatches(rule, e)) add until today + ttl;
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine/audience/audience_store.h"

namespace vetrina::engine {

struct PixelCondition {
  enum class Op : uint8_t { kIn, kEq, kGe, kGt, kLe, kLt };
  std::string param;
  Op op = Op::kIn;
  std::vector<std::string> values;  // kIn: any of; kEq: one
  double number = 0;                // kGe, kGt, kLe, kLt
};

struct PixelRule {
  std::vector<std::string> events;          // any of these event names
  std::vector<PixelCondition> conditions;   // all must hold
  int recency_days = 0;                     // 0: the audience's TTL alone
  std::vector<std::string> exclude_events;  // any of these removes the user
};

enum class AudienceKind : uint8_t { kCustom, kPixel };

struct Audience {
  std::string id;
  std::string advertiser;
  std::string name;
  AudienceKind kind = AudienceKind::kCustom;
  int ttl_days = 30;
  PixelRule rule;  // kPixel only
  SegmentId segment = 0;

  // "advertiser/id": the name campaign targeting uses.
  std::string QualifiedName() const { return advertiser + "/" + id; }
  // How long a membership this rule grants lasts.
  int MembershipDays() const {
    return rule.recency_days > 0 && rule.recency_days < ttl_days ? rule.recency_days : ttl_days;
  }
};

inline constexpr int kMaxAudienceTtlDays = 180;

struct PixelEvent {
  std::string advertiser;
  std::string event;
  std::vector<std::pair<std::string, std::string>> params;
};

// The audiences the bid and pixel paths need, immutable once built: segment names for
// targeting, and each advertiser's pixel audiences. Thread-safe (immutable).
struct AudienceRegistry {
  std::vector<std::string> names;  // by segment id; "" for unused ids
  absl::flat_hash_map<std::string, std::vector<Audience>> pixel_audiences;  // by advertiser
  absl::flat_hash_set<std::string> advertisers;

  const std::string* Name(SegmentId segment) const {
    return segment < names.size() && !names[segment].empty() ? &names[segment] : nullptr;
  }
};

bool RuleMatches(const PixelRule& rule, const PixelEvent& event);
bool RuleExcludes(const PixelRule& rule, const PixelEvent& event);

}  // namespace vetrina::engine
