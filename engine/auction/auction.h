// The auction: for each imp, rank the eligible campaigns by eCPM (CPM bids as they are, CPC
// bids x predicted CTR x 1000), apply floors (the imp's, its deals', the network's per
// placement), deals and the auction type, and pick one winner. A plain function over immutable
// inputs plus a BidPolicy for money and users (budget, pacing, caps, CTR), so it is tested
// without a socket and called from any number of threads.
//
//   AuctionResult result = RunAuction(request, snapshot, clock.Now());
//   if (result.bids.empty()) -> 204
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"
#include "engine/core/market_rules.h"
#include "engine/core/money.h"
#include "engine/core/no_bid_reason.h"
#include "engine/core/targeting.h"
#include "engine/targeting/campaign_set.h"
#include "engine/targeting/eligibility.h"

namespace vetrina::engine {

struct Bid {
  size_t imp_index = 0;
  const Campaign* campaign = nullptr;  // points into the snapshot the auction ran on
  CreativeMatch match;
  Micros max_price = 0;       // the campaign's eCPM bid for this imp, USD micros
  Micros clearing_price = 0;  // what we bid in the response, USD CPM micros: ≤ max_price, ≥ floor
  Micros price_in_currency = 0;  // clearing_price in the response's currency, rounded down
  const Deal* deal = nullptr;    // the deal bid on, in the request; nullptr in the open auction
  int64_t ctr_ppm = 0;           // CPC: the predicted CTR the eCPM assumed
  Micros click_price = 0;        // CPC: what a click costs, USD micros (≤ max CPC); 0 for CPM
};

struct AuctionResult {
  std::vector<Bid> bids;  // at most one per imp, in imp order; at most context.max_bids
  // Per imp: kNone when it got a bid, else the reason of the campaign that came closest.
  std::vector<NoBidReason> imp_reasons;
  // The response's currency: USD unless `cur` asks for another one the rate table has.
  std::string currency = std::string(kUsd);
  int64_t rate_micros = kMicrosPerUnit;

  // The reason that stands for the whole request when it got no bid at all.
  NoBidReason RequestReason() const;
};

// What the auction asks beyond targeting and floors, about money and the user. The bid path's
// policy reads the budget ledger, pacing, frequency caps and the CTR model; without one every
// campaign may bid and CPC campaigns are ranked at the CTR prior.
class BidPolicy {
 public:
  virtual ~BidPolicy() = default;
  // kNone when `campaign` may bid now, else kFrequencyCapped, kBudgetExhausted or kPaced. Called
  // only for a campaign that would otherwise bid, at most once per imp.
  virtual NoBidReason Admit(const Campaign& campaign) = 0;
  // The predicted CTR of `creative` in this request's app, parts per million, in
  // [1, kMaxPredictedCtrPpm].
  virtual int64_t PredictCtrPpm(const Campaign& campaign, const Creative& creative) = 0;
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
  // Exchange rates, placement floors and advertisers' app blocklists; USD only when null.
  const MarketRules* market = nullptr;
  BidPolicy* policy = nullptr;
  // Our buyer seat, checked against `wseat`/`bseat` and deals' `wseat`.
  std::string_view seat = "vetrina";
  // Child-directed inventory (COPPA, or an app the network marked): only child-safe campaigns.
  bool child_directed = false;
  // Whether the request's supply chain is authorised (engine/supply, decided once per request);
  // campaigns that require it get kUnauthorisedSupply when it is not.
  bool authorised_supply = false;
  // Whether notices can be served over https; without it `secure` imps get no bid.
  bool https_notices = false;
  // Bounds on one request's bids, in imp order: the imps after the `max_bids`th bid, and a
  // campaign's offers once it has won `max_bids_per_campaign` imps, get kRequestLimit (another
  // campaign may win such an imp).
  size_t max_bids = SIZE_MAX;
  size_t max_bids_per_campaign = SIZE_MAX;
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
                                    const RequestFacts& facts, const AuctionContext& context);

// The price a winner pays: its own bid in a first-price auction; in a second-price auction the
// larger of the runner-up and the floor plus one cent, never above its own bid; in a fixed-price
// deal (at=3) the deal's price, which is its floor.
Micros ClearingPrice(int auction_type, Micros winner, Micros runner_up, Micros floor);

// What a click costs a CPC campaign that won an impression at `clearing_cpm` with a predicted
// CTR of `ctr_ppm`: the same money per impression, spread over the expected clicks. Never above
// `max_cpc`.
Micros ClickPrice(Micros clearing_cpm, int64_t ctr_ppm, Micros max_cpc);

// The CTR a CPC campaign is ranked at without a policy (and a new creative starts from).
int64_t CtrPriorPpm();

}  // namespace vetrina::engine
