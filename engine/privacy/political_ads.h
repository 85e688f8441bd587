// Political advertising in the EU, Regulation (EU) 2024/900 on the transparency and targeting of
// political advertising (applying since 10 October 2025). A campaign the advertiser marks
// political must carry the transparency information of Art. 11 (its sponsor and the notice of
// Art. 12) wherever the regulation applies; without it the campaign does not bid there. Targeting
// a political ad with personal data needs the user's explicit consent to exactly that (Art. 18),
// which no signal of a bid request carries, so there a political campaign bids only contextually.
//
//   if (CheckPoliticalAd(campaign, request) != NoBidReason::kNone) -> the campaign does not bid
#pragma once

#include <string_view>

#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"
#include "engine/core/no_bid_reason.h"

namespace vetrina::engine {

// Whether `country` (ISO-3166-1 alpha-3, upper case) is in the EU or the rest of the EEA.
bool IsEuOrEeaCountry(std::string_view country);

// Whether the request says the EU rules apply: `regs.gdpr = 1`, a `regs.ext.dsa` with
// `dsarequired` ≥ 1 (the DSA is EU law), or a device in an EU or EEA country. A request that says
// none of these (no geo, no flags) is outside.
bool EuRulesApply(const BidRequest& request);

// kPoliticalAdEu when `campaign` is political and the request is in the EU's scope, and it lacks
// its transparency information or targets audiences; else kNone.
NoBidReason CheckPoliticalAd(const Campaign& campaign, const BidRequest& request);

}  // namespace vetrina::engine
