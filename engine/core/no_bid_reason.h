// Why an imp, a campaign or a whole request got no bid. Each value has a stable name used in
// metrics labels and in the explain endpoint.
#pragma once

#include <cstdint>
#include <string_view>

namespace vetrina::engine {

enum class NoBidReason : uint8_t {
  kNone = 0,          // a bid was made
  kNoCampaigns,       // nothing is loaded
  kCampaignInactive,  // paused, archived, or outside its flight dates
  kTargeting,         // the targeting index found no campaign for the request
  kTargetingCountry,
  kTargetingRegion,
  kTargetingOs,
  kTargetingOsVersion,
  kTargetingDeviceType,
  kTargetingConnectionType,
  kTargetingAppBundle,
  kTargetingAppCategory,
  kTargetingPublisher,
  kTargetingLanguage,
  kTargetingHourOfWeek,
  kTargetingAudience,
  kBlockedCategory,     // `bcat`
  kBlockedAdvertiser,   // `badv`
  kBlockedApp,          // `bapp`, or the advertiser's own app blocklist
  kBlockedSeat,         // `wseat` leaves our seat out, or `bseat` names it
  kNotChildSafe,        // child-directed inventory; the campaign did not opt in or is sensitive
  kDsaMissing,          // `regs.ext.dsa` requires DSA transparency information the campaign lacks
  kDsaRenderConflict,   // the publisher's `pubrender` and the campaign's `adrender` conflict
  kPoliticalAdEu,       // a political campaign without its EU transparency information, in the EU
  kUnauthorisedSupply,  // the campaign requires authorised supply and the request lacks it
  kTargetingPlacement,  // imp level from here on
  kTargetingSize,
  kTargetingDeal,       // a deal campaign and no deal of the imp it may bid on
  kPrivateAuction,      // the imp takes deal bids only and the campaign bids in the open
  kNoMatchingCreative,  // no creative fits the imp's formats, sizes, durations or assets
  kVideoProtocol,       // every otherwise fitting video's VAST version is outside `protocols`
  kBlockedAttribute,    // every fitting creative carries a `battr` attribute
  kBelowFloor,
  kFrequencyCapped,      // the user saw the campaign as often as its caps allow
  kBudgetExhausted,      // daily or lifetime budget spent or held by open bids
  kPaced,                // even pacing held the bid back
  kLeaseExhausted,       // budget is left fleet-wide, but this node's lease of it is used or lapsed
  kUnsupportedCurrency,  // `cur` or `bidfloorcur` we cannot price in
  kNoSecureNotices,      // `imp.secure = 1` and no https base URL for notices is configured
  kDeadline,             // the request's tmax would pass before our answer arrived
  kRequestLimit,         // the request's bounds: bids per response or per campaign, money reserved
  kCount,
};

std::string_view NoBidReasonName(NoBidReason reason);

}  // namespace vetrina::engine
