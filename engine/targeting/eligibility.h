// Whether a campaign may bid on a request, and which of its creatives fits an imp. Each check
// returns the first rule that excludes, so the explain endpoint and metrics can name it.
#pragma once

#include "absl/time/time.h"
#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"
#include "engine/core/no_bid_reason.h"
#include "engine/core/targeting.h"

namespace vetrina::engine {

// Request-level rules: status and flight dates, targeting, and the request's block lists.
// kNone when the campaign may bid on some imp of `request`. `facts` are `request`'s.
NoBidReason CheckCampaign(const Campaign& campaign, const BidRequest& request,
                          const RequestFacts& facts, absl::Time now);

struct CreativeMatch {
  const Creative* creative = nullptr;
  MediaType media_type = MediaType::kBanner;
  Size size;  // the size served (for video, its media's); {0,0} when unknown
};

// The size of the video `creative` serves in a `slot` ({0,0}: unknown): of its MediaFile sizes,
// the closest in aspect ratio, then in area; the creative's declared size when it has none.
Size ServedVideoSize(const Creative& creative, Size slot);

// The campaign's first creative (in upload order) that fits `imp`: format, size, duration,
// VAST protocol, rewarded, native assets and blocked attributes. kNone and `*match` set on success.
NoBidReason MatchCreative(const Campaign& campaign, const Imp& imp, CreativeMatch* match);

// The request's block lists (`bcat`, `badv`, `bapp`) against the campaign. kNone when clear.
NoBidReason CheckBlocks(const Campaign& campaign, const BidRequest& request);

// Imp-level rules, in the order the auction applies them: imp targeting (placement, size,
// deals), then a fitting creative. kNone and `*match` set on success.
NoBidReason CheckImp(const Campaign& campaign, const Imp& imp, CreativeMatch* match);

// Whether `creative` can fill `asset` of a native request: it has the text (within `len`) or the
// image, and the image meets the asset's size (Native 1.2 §4.4).
bool NativeAssetFillable(const Creative& creative, const NativeAsset& asset);

// Whether `category` is `blocked` or one of its sub-categories ("IAB25" blocks "IAB25-3").
bool CategoryBlocked(std::string_view category, std::string_view blocked);

}  // namespace vetrina::engine
