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
    } else if (r = CheckImp(campaign, imp, &match);
               r == NoBidReason::kNone && campaign.max_bid_cpm < imp.bid_floor) {
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
                                               const CampaignSet& campaigns,
                                               const RequestFacts& facts,
                                               const AuctionContext& context,
                                               NoBidReason* closest) {
  std::vector<const Campaign*> eligible;
  NoBidReason best = campaigns.size() == 0 ? NoBidReason::kNoCampaigns : NoBidReason::kTargeting;
  if (context.use_index) {
    CampaignSet::Scratch local_scratch;
    CampaignSet::Scratch* scratch = context.scratch ? context.scratch : &local_scratch;
    campaigns.Match(facts, scratch);
    campaigns.ForEachEligible(
        *scratch, request, facts, context.now,
        [&](const Campaign& c) {
          eligible.push_back(&c);
          return true;
        },
        &best);
  } else {
    campaigns.ForEachCampaign([&](const Campaign& campaign) {
      const NoBidReason reason = CheckCampaign(campaign, request, facts, context.now);
      if (reason == NoBidReason::kNone) {
        eligible.push_back(&campaign);
      } else {
        best = Closer(best, reason);
      }
      return true;
    });
  }
  if (closest != nullptr) *closest = best;
  return eligible;
}

namespace {

// One imp's auction over campaigns in rank order (highest bid first): the first campaign that
// fits wins, the next one that fits sets the second price, and nothing below the floor can do
// either, so the walk stops early.
class ImpAuction {
 public:
  ImpAuction(const Imp& imp, NoBidReason closest) : imp_(imp), reason_(closest) {}

  // Offers the next campaign in rank order; false once the auction is decided.
  bool Offer(const Campaign& campaign) {
    if (campaign.max_bid_cpm < imp_.bid_floor) {
      reason_ = Closer(reason_, NoBidReason::kBelowFloor);
      return false;  // everything after it bids less
    }
    CreativeMatch match;
    const NoBidReason reason = CheckImp(campaign, imp_, &match);
    if (reason != NoBidReason::kNone) {
      reason_ = Closer(reason_, reason);
      return true;
    }
    if (!have_winner_) {
      winner_ = Candidate{&campaign, match, campaign.max_bid_cpm};
      have_winner_ = true;
      return true;
    }
    runner_up_ = campaign.max_bid_cpm;
    return false;
  }

  bool have_winner() const { return have_winner_; }
  const Candidate& winner() const { return winner_; }
  Micros runner_up() const { return runner_up_; }
  NoBidReason reason() const { return reason_; }

 private:
  const Imp& imp_;
  NoBidReason reason_;
  bool have_winner_ = false;
  Candidate winner_{};
  Micros runner_up_ = 0;
};

}  // namespace

AuctionResult RunAuction(const BidRequest& request, const CampaignSet& campaigns,
                         const AuctionContext& context) {
  AuctionResult result;
  result.imp_reasons.assign(request.imps.size(), NoBidReason::kNoCampaigns);
  if (campaigns.size() == 0) return result;
  if (!AcceptsUsd(request)) {
    std::fill(result.imp_reasons.begin(), result.imp_reasons.end(),
              NoBidReason::kUnsupportedCurrency);
    return result;
  }

  const RequestFacts facts = MakeRequestFacts(request, context.now, context.segments);
  CampaignSet::Scratch local_scratch;
  CampaignSet::Scratch* scratch = context.scratch ? context.scratch : &local_scratch;
  std::vector<const Campaign*> scanned;  // the reference path's eligible list
  NoBidReason closest = NoBidReason::kTargeting;
  if (context.use_index) {
    campaigns.Match(facts, scratch);
  } else {
    scanned = EligibleCampaigns(request, campaigns, facts, context, &closest);
  }

  for (size_t i = 0; i < request.imps.size(); ++i) {
    const Imp& imp = request.imps[i];
    if (imp.bid_floor_currency != kUsd) {
      result.imp_reasons[i] = NoBidReason::kUnsupportedCurrency;
      continue;
    }
    ImpAuction auction(imp, closest);
    if (context.use_index) {
      NoBidReason residual_reason = NoBidReason::kTargeting;
      campaigns.ForEachEligible(
          *scratch, request, facts, context.now,
          [&](const Campaign& campaign) { return auction.Offer(campaign); }, &residual_reason);
      if (!auction.have_winner()) {
        result.imp_reasons[i] = Closer(auction.reason(), residual_reason);
        continue;
      }
    } else {
      for (const Campaign* campaign : scanned) {
        if (!auction.Offer(*campaign)) break;
      }
      if (!auction.have_winner()) {
        result.imp_reasons[i] = auction.reason();
        continue;
      }
    }
    const Candidate& winner = auction.winner();
    result.imp_reasons[i] = NoBidReason::kNone;
    result.bids.push_back(Bid{
        .imp_index = i,
        .campaign = winner.campaign,
        .match = winner.match,
        .max_price = winner.ecpm,
        .clearing_price =
            ClearingPrice(request.auction_type, winner.ecpm, auction.runner_up(), imp.bid_floor),
    });
  }
  return result;
}

}  // namespace vetrina::engine
