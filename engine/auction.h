// The auction: for each imp, rank the eligible campaigns by eCPM, apply the floor and the
// auction type, and pick one winner. A plain function over immutable inputs, so it is tested
// without a socket and called from any number of threads.
//
//   AuctionResult result = RunAuction(request, snapshot, clock.Now());
//   if (result.bids.empty()) -> 204
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/bid_request.h"
#include "engine/campaign.h"
#include "engine/campaign_set.h"
#include "engine/eligibility.h"
#include "engine/money.h"
#include "engine/no_bid_reason.h"
#include "engine/targeting.h"

namespace vetrina::engine {

struct Bid {
  size_t imp_index = 0;
  const Campaign* campaign = nullptr;  // points into the snapshot the auction ran on
  CreativeMatch match;
  Micros max_price = 0;       // the campaign's eCPM bid for this imp, USD micros
  Micros clearing_price = 0;  // what we bid in the response: ≤ max_price, ≥ floor
};

struct AuctionResult {
  std::vector<Bid> bids;  // at most one per imp, in imp order
  // Per imp: kNone when it got a bid, else the reason of the campaign that came closest.
  std::vector<NoBidReason> imp_reasons;

  // The reason that stands for the whole request when it got no bid at all.
  NoBidReason RequestReason() const;
};

struct AuctionContext {
  absl::Time now;
  // The user's audience segments, sorted; nullptr when the user is unknown or may not be
  // targeted.
  const std::vector<std::string>* segments = nullptr;
  // false scans every campaign instead of asking the index: the reference the index is tested
  // against.
  bool use_index = true;
  // Reusable buffers; a fresh one is used when null. Not shared between threads.
  CampaignSet::Scratch* scratch = nullptr;
};

AuctionResult RunAuction(const BidRequest& request, const CampaignSet& campaigns,
                         const AuctionContext& context);
inline AuctionResult RunAuction(const BidRequest& request, const CampaignSet& campaigns,
                                absl::Time now) {
  return RunAuction(request, campaigns, AuctionContext{.now = now});
}

// The campaigns eligible for `request` at request level (targeting, status, blocks), in rank
// order, found through the index or by scanning. `closest` receives the reason of the
// campaign that came closest when it is not null.
std::vector<const Campaign*> EligibleCampaigns(const BidRequest& request,
                                               const CampaignSet& campaigns,
                                               const RequestFacts& facts,
                                               const AuctionContext& context, NoBidReason* closest);

// Why a campaign would or would not bid on a request: the answer to "why isn't my campaign
// delivering?". `reason` is the first request-level rule that excludes it; when it passes those,
// each imp says kNone (it would bid) or its first excluding rule.
struct CampaignExplanation {
  const Campaign* campaign = nullptr;
  NoBidReason reason = NoBidReason::kNone;
  std::vector<NoBidReason> imp_reasons;  // one per request imp, when `reason` is kNone
  bool eligible() const;
};

CampaignExplanation ExplainCampaign(const Campaign& campaign, const BidRequest& request,
                                    const RequestFacts& facts, absl::Time now);

// The price a winner pays: its own bid in a first-price auction; in a second-price auction the
// larger of the runner-up and the floor plus one cent, never above its own bid.
Micros ClearingPrice(int auction_type, Micros winner, Micros runner_up, Micros floor);

}  // namespace vetrina::engine
