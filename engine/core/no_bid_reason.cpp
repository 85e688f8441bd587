#include "engine/core/no_bid_reason.h"

namespace vetrina::engine {

std::string_view NoBidReasonName(NoBidReason reason) {
  switch (reason) {
    case NoBidReason::kNone:
      return "none";
    case NoBidReason::kNoCampaigns:
      return "no_campaigns";
    case NoBidReason::kCampaignInactive:
      return "campaign_inactive";
    case NoBidReason::kTargeting:
      return "targeting";
    case NoBidReason::kTargetingCountry:
      return "targeting_country";
    case NoBidReason::kTargetingRegion:
      return "targeting_region";
    case NoBidReason::kTargetingOs:
      return "targeting_os";
    case NoBidReason::kTargetingOsVersion:
      return "targeting_os_version";
    case NoBidReason::kTargetingDeviceType:
      return "targeting_device_type";
    case NoBidReason::kTargetingConnectionType:
      return "targeting_connection_type";
    case NoBidReason::kTargetingAppBundle:
      return "targeting_app_bundle";
    case NoBidReason::kTargetingAppCategory:
      return "targeting_app_category";
    case NoBidReason::kTargetingPublisher:
      return "targeting_publisher";
    case NoBidReason::kTargetingLanguage:
      return "targeting_language";
    case NoBidReason::kTargetingHourOfWeek:
      return "targeting_hour_of_week";
    case NoBidReason::kTargetingAudience:
      return "targeting_audience";
    case NoBidReason::kTargetingPlacement:
      return "targeting_placement";
    case NoBidReason::kTargetingSize:
      return "targeting_size";
    case NoBidReason::kTargetingDeal:
      return "targeting_deal";
    case NoBidReason::kBlockedCategory:
      return "blocked_category";
    case NoBidReason::kBlockedAdvertiser:
      return "blocked_advertiser";
    case NoBidReason::kBlockedApp:
      return "blocked_app";
    case NoBidReason::kBlockedSeat:
      return "blocked_seat";
    case NoBidReason::kNotChildSafe:
      return "not_child_safe";
    case NoBidReason::kPrivateAuction:
      return "private_auction";
    case NoBidReason::kFrequencyCapped:
      return "frequency_capped";
    case NoBidReason::kBudgetExhausted:
      return "budget_exhausted";
    case NoBidReason::kPaced:
      return "paced";
    case NoBidReason::kLeaseExhausted:
      return "lease_exhausted";
    case NoBidReason::kNoMatchingCreative:
      return "no_matching_creative";
    case NoBidReason::kBlockedAttribute:
      return "blocked_attribute";
    case NoBidReason::kVideoProtocol:
      return "video_protocol";
    case NoBidReason::kBelowFloor:
      return "below_floor";
    case NoBidReason::kUnsupportedCurrency:
      return "unsupported_currency";
    case NoBidReason::kNoSecureNotices:
      return "no_secure_notices";
    case NoBidReason::kDeadline:
      return "deadline";
    case NoBidReason::kRequestLimit:
      return "request_limit";
    case NoBidReason::kDsaMissing:
      return "dsa_missing";
    case NoBidReason::kDsaRenderConflict:
      return "dsa_render_conflict";
    case NoBidReason::kPoliticalAdEu:
      return "political_ad_eu";
    case NoBidReason::kUnauthorisedSupply:
      return "unauthorised_supply";
    case NoBidReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace vetrina::engine
