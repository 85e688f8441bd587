#include "engine/auction.h"

#include <algorithm>
#include <string_view>

namespace vetrina::engine {
namespace {

constexpr std::string_view kUsd = "USD";

bool AcceptsUsd(const BidRequest& request) {
  return request.currencies.empty() ||
         std::find(request.currencies.begin(), request.currencies.end(), kUsd) !=
             request.currencies.end();
}

// Closer to bidding wins: reasons are declared in the order the checks run.
NoBidReason Closer(NoBidReason a, NoBidReason b) { return a > b ? a : b; }

struct Candidate {
  const Campaign* campaign;
  CreativeMatch match;
  Micros ecpm;
};

// Higher eCPM first; ties go to the lower campaign id: deterministic. (A campaign offers one
// creative per imp, so campaign id settles every tie.)
bool Outranks(const Candidate& a, const Candidate& b) {
  if (a.ecpm != b.ecpm) return a.ecpm > b.ecpm;
  return a.campaign->id < b.campaign->id;
}

}  // namespace

Micros ClearingPrice(int auction_type, Micros winner, Micros runner_up, Micros floor) {
  if (auction_type != 2) return winner;
  return std::min(winner, std::max(runner_up, floor) + kOneCent);
}

bool CampaignExplanation::eligible() const {
  return reason == NoBidReason::kNone &&
         std::any_of(imp_reasons.begin(), imp_reasons.end(),
                     [](NoBidReason r) { return r == NoBidReason::kNone; });
}

CampaignExplanation ExplainCampaign(const Campaign& campaign, const BidRequest& request,
                                    const RequestFacts& facts, absl::Time now) {
  CampaignExplanation e;
  e.campaign = &campaign;
  e.reason = AcceptsUsd(request) ? CheckCampaign(campaign, request, facts, now)
                                 : NoBidReason::kUnsupportedCurrency;
  if (e.reason != NoBidReason::kNone) return e;
  for (const Imp& imp : request.imps) {
    NoBidReason r = NoBidReason::kNone;
    CreativeMatch match;
    if (imp.bid_floor_currency != kUsd) {
      r = NoBidReason::kUnsupportedCurrency;
    } else if (r = CheckImp(campaign, imp, &match); r == NoBidReason::kNone &&
                                                    campaign.max_bid_cpm < imp.bid_floor) {
      r = NoBidReason::kBelowFloor;
    }
    e.imp_reasons.push_back(r);
  }
  return e;
}

NoBidReason AuctionResult::RequestReason() const {
  NoBidReason reason = NoBidReason::kNone;
  for (NoBidReason r : imp_reasons) reason = Closer(reason, r);
  return reason;
}

std::vector<const Campaign*> EligibleCampaigns(const BidRequest& request,
                                               const CampaignSnapshot& campaigns,
                                               const RequestFacts& facts,
                                               const AuctionContext& context,
                                               NoBidReason* closest) {
  std::vector<const Campaign*> eligible;
  NoBidReason best = campaigns.size() == 0 ? NoBidReason::kNoCampaigns : NoBidReason::kTargeting;
  auto check = [&](const Campaign& campaign) {
    const NoBidReason reason = CheckCampaign(campaign, request, facts, context.now);
    if (reason == NoBidReason::kNone) {
      eligible.push_back(&campaign);
    } else {
      best = Closer(best, reason);
    }
  };
  if (context.use_index) {
    TargetingIndex::Scratch local_scratch;
    TargetingIndex::Scratch* scratch = context.scratch ? context.scratch : &local_scratch;
    std::vector<uint32_t> ids;
    campaigns.Candidates(facts, scratch, &ids);
    for (uint32_t id : ids) check(campaigns.campaign(id));
  } else {
    for (const CampaignPtr& campaign : campaigns.campaigns()) check(*campaign);
  }
  if (closest != nullptr) *closest = best;
  return eligible;
}

AuctionResult RunAuction(const BidRequest& request, const CampaignSnapshot& campaigns,
                         const AuctionContext& context) {
  AuctionResult result;
  result.imp_reasons.assign(request.imps.size(), NoBidReason::kNoCampaigns);
  if (campaigns.size() == 0) return result;
  if (!AcceptsUsd(request)) {
    std::fill(result.imp_reasons.begin(), result.imp_reasons.end(),
              NoBidReason::kUnsupportedCurrency);
    return result;
  }

  // Request-level eligibility once per campaign, not once per imp.
  const RequestFacts facts = MakeRequestFacts(request, context.now, context.segments);
  NoBidReason closest = NoBidReason::kNone;
  const std::vector<const Campaign*> eligible =
      EligibleCampaigns(request, campaigns, facts, context, &closest);

  for (size_t i = 0; i < request.imps.size(); ++i) {
    const Imp& imp = request.imps[i];
    NoBidReason imp_reason = closest;
    if (imp.bid_floor_currency != kUsd) {
      result.imp_reasons[i] = NoBidReason::kUnsupportedCurrency;
      continue;
    }
    const Micros floor = imp.bid_floor;

    bool have_winner = false;
    Candidate winner{};
    Micros runner_up = 0;
    for (const Campaign* campaign : eligible) {
      CreativeMatch match;
      const NoBidReason reason = CheckImp(*campaign, imp, &match);
      if (reason != NoBidReason::kNone) {
        imp_reason = Closer(imp_reason, reason);
        continue;
      }
      if (campaign->max_bid_cpm < floor) {
        imp_reason = Closer(imp_reason, NoBidReason::kBelowFloor);
        continue;
      }
      const Candidate current{campaign, match, campaign->max_bid_cpm};
      if (!have_winner) {
        winner = current;
        have_winner = true;
      } else if (Outranks(current, winner)) {
        runner_up = winner.ecpm;
        winner = current;
      } else {
        runner_up = std::max(runner_up, current.ecpm);
      }
    }
    if (!have_winner) {
      result.imp_reasons[i] = imp_reason;
      continue;
    }
    result.imp_reasons[i] = NoBidReason::kNone;
    result.bids.push_back(Bid{
        .imp_index = i,
        .campaign = winner.campaign,
        .match = winner.match,
        .max_price = winner.ecpm,
        .clearing_price = ClearingPrice(request.auction_type, winner.ecpm, runner_up, floor),
    });
  }
  return result;
}

}  // namespace vetrina::engine
