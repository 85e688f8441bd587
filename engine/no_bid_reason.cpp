#include "engine/no_bid_reason.h"

namespace vetrina::engine {

std::string_view NoBidReasonName(NoBidReason reason) {
  switch (reason) {
    case NoBidReason::kNone: return "none";
    case NoBidReason::kNoCampaigns: return "no_campaigns";
    case NoBidReason::kCampaignInactive: return "campaign_inactive";
    case NoBidReason::kTargetingCountry: return "targeting_country";
    case NoBidReason::kTargetingOs: return "targeting_os";
    case NoBidReason::kTargetingDeviceType: return "targeting_device_type";
    case NoBidReason::kTargetingAppBundle: return "targeting_app_bundle";
    case NoBidReason::kBlockedCategory: return "blocked_category";
    case NoBidReason::kBlockedAdvertiser: return "blocked_advertiser";
    case NoBidReason::kBlockedApp: return "blocked_app";
    case NoBidReason::kNoMatchingCreative: return "no_matching_creative";
    case NoBidReason::kBlockedAttribute: return "blocked_attribute";
    case NoBidReason::kBelowFloor: return "below_floor";
    case NoBidReason::kUnsupportedCurrency: return "unsupported_currency";
    case NoBidReason::kCount: break;
  }
  return "unknown";
}

}  // namespace vetrina::engine
