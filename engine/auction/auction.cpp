#include "engine/auction/auction.h"

#include <algorithm>
#include <string_view>

#include "engine/privacy/dsa.h"
#include "engine/privacy/political_ads.h"
#include "engine/privacy/privacy.h"

namespace vetrina::engine {
namespace {

// Closer to bidding wins: reasons are declared in the order the checks run.
NoBidReason Closer(NoBidReason a, NoBidReason b) { return a > b ? a : b; }

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

const CurrencyTable& Currencies(const AuctionContext& context) {
  static const CurrencyTable kUsdOnly;
  return context.market ? context.market->currencies : kUsdOnly;
}

// The response currency: USD when `cur` is absent or allows it, else the first currency of `cur`
// with a rate. False when none can be priced.
bool PickCurrency(const BidRequest& request, const CurrencyTable& currencies,
                  AuctionResult* result) {
  if (request.currencies.empty() || Contains(request.currencies, kUsd)) return true;
  for (const std::string& code : request.currencies) {
    if (std::optional<int64_t> rate = currencies.Rate(code)) {
      result->currency = code;
      result->rate_micros = *rate;
      return true;
    }
  }
  return false;
}

// A deal of the imp, priced in USD.
struct DealTerms {
  const Deal* deal;
  Micros floor;      // USD CPM micros, rounded up
  int auction_type;  // the deal's, else the request's
  bool open_to_us;   // its wseat allows our seat
};

// An imp's floors and deals, converted once before the walk.
struct ImpTerms {
  // kUnsupportedCurrency when a floor has no rate, kNoSecureNotices for a secure imp we cannot
  // answer over https.
  NoBidReason unpriceable = NoBidReason::kNone;
  Micros open_floor = 0;  // the imp's floor or the network's placement floor, the higher
  std::vector<DealTerms> deals;
  // The lowest floor any bid can meet: a campaign ranked below it cannot bid, nor can any after
  // it.
  Micros min_floor = 0;
};

ImpTerms PriceImp(const BidRequest& request, const Imp& imp, const AuctionContext& context) {
  const CurrencyTable& currencies = Currencies(context);
  ImpTerms terms;
  if (imp.secure && !context.https_notices) {
    terms.unpriceable = NoBidReason::kNoSecureNotices;
    return terms;
  }
  std::optional<Micros> imp_floor = currencies.ToUsd(imp.bid_floor, imp.bid_floor_currency);
  if (!imp_floor) {
    terms.unpriceable = NoBidReason::kUnsupportedCurrency;
    return terms;
  }
  const Micros placement_floor =
      context.market ? context.market->PlacementFloor(request.publication, imp) : 0;
  terms.open_floor = std::max(*imp_floor, placement_floor);
  terms.min_floor = imp.private_auction ? INT64_MAX : terms.open_floor;
  for (const Deal& deal : imp.deals) {
    std::optional<Micros> deal_floor = currencies.ToUsd(deal.floor, deal.floor_currency);
    if (!deal_floor) continue;  // a deal we cannot price is one we cannot bid on
    // A deal without its own floor keeps the imp's (the network's placement floor is for the
    // open auction: deal prices are negotiated).
    const Micros floor = deal.floor > 0 ? *deal_floor : *imp_floor;
    const int auction_type = deal.auction_type != 0 ? deal.auction_type : request.auction_type;
    // A fixed-price deal must state its price; without one we would bid (and pay) nothing.
    if (auction_type == 3 && floor <= 0) continue;
    const bool open_to_us = deal.wseat.empty() || Contains(deal.wseat, context.seat);
    terms.deals.push_back(DealTerms{&deal, floor, auction_type, open_to_us});
    if (open_to_us) terms.min_floor = std::min(terms.min_floor, floor);
  }
  return terms;
}

NoBidReason CheckSupply(const Campaign& campaign, const AuctionContext& context) {
  return campaign.require_authorised_supply && !context.authorised_supply
             ? NoBidReason::kUnauthorisedSupply
             : NoBidReason::kNone;
}

struct Candidate {
  const Campaign* campaign = nullptr;
  CreativeMatch match;
  Micros ecpm = 0;
  Micros floor = 0;
  int auction_type = 2;
  const Deal* deal = nullptr;
  int64_t ctr_ppm = 0;
};

// Checks everything about `campaign` on one imp but money and the user (the policy's part):
// child safety, the DSA and political-ad rules, targeting, creatives, the advertiser's app
// blocklist, deals and the floor. Fills `candidate` when it may bid.
NoBidReason CheckOffer(const Campaign& campaign, const BidRequest& request, const Imp& imp,
                       const ImpTerms& terms, const AuctionContext& context, Candidate* candidate) {
  if (context.child_directed && !ChildSafe(campaign)) return NoBidReason::kNotChildSafe;
  if (NoBidReason r = DecideDsa(campaign, request.regs).reason; r != NoBidReason::kNone) return r;
  if (NoBidReason r = CheckPoliticalAd(campaign, request); r != NoBidReason::kNone) return r;
  if (NoBidReason r = CheckSupply(campaign, context); r != NoBidReason::kNone) return r;
  if (context.market &&
      context.market->AppBlocked(campaign.advertiser, request.publication.bundle)) {
    return NoBidReason::kBlockedApp;
  }
  CreativeMatch match;
  if (NoBidReason r = CheckImp(campaign, imp, &match); r != NoBidReason::kNone) return r;
  Candidate c{.campaign = &campaign, .match = match};
  if (!campaign.targeting.deal.include.empty()) {
    const DealTerms* terms_of_deal = nullptr;
    for (const DealTerms& d : terms.deals) {
      if (d.open_to_us && campaign.targeting.deal.Allows(d.deal->id)) {
        terms_of_deal = &d;
        break;
      }
    }
    if (terms_of_deal == nullptr) return NoBidReason::kTargetingDeal;
    c.deal = terms_of_deal->deal;
    c.floor = terms_of_deal->floor;
    c.auction_type = terms_of_deal->auction_type;
  } else {
    if (imp.private_auction) return NoBidReason::kPrivateAuction;
    c.floor = terms.open_floor;
    c.auction_type = request.auction_type;
  }
  if (campaign.strategy == BidStrategy::kCpm) {
    c.ecpm = campaign.max_bid_cpm;
  } else {
    c.ctr_ppm =
        context.policy ? context.policy->PredictCtrPpm(campaign, *match.creative) : CtrPriorPpm();
    c.ecpm = static_cast<Micros>(static_cast<__int128>(campaign.max_bid_cpc) * c.ctr_ppm / 1000);
  }
  if (c.ecpm < c.floor || c.ecpm <= 0) return NoBidReason::kBelowFloor;
  *candidate = c;
  return NoBidReason::kNone;
}

// One imp's auction over campaigns in rank order (RankBid, highest first). A campaign's rank bid
// bounds its eCPM, so once the next rank bid cannot beat the runner-up (or meet any floor) the
// winner and its price are settled and the walk stops.
class ImpAuction {
 public:
  ImpAuction(const BidRequest& request, const Imp& imp, const ImpTerms& terms,
             const AuctionContext& context, NoBidReason closest, const std::vector<Bid>& bids)
      : request_(request),
        imp_(imp),
        terms_(terms),
        context_(context),
        reason_(closest),
        bids_(bids) {}

  // Offers the next campaign in rank order; false once the auction is decided.
  bool Offer(const Campaign& campaign) {
    const Micros rank_bid = RankBid(campaign);
    if (rank_bid < terms_.min_floor) {
      reason_ = Closer(reason_, NoBidReason::kBelowFloor);
      return false;  // everything after it bids less
    }
    if (have_winner_ && rank_bid <= runner_up_.ecpm) return false;
    Candidate candidate;
    NoBidReason reason = CheckOffer(campaign, request_, imp_, terms_, context_, &candidate);
    if (reason == NoBidReason::kNone && Wins(campaign) >= context_.max_bids_per_campaign) {
      reason = NoBidReason::kRequestLimit;
    }
    if (reason == NoBidReason::kNone && context_.policy) {
      reason = context_.policy->Admit(campaign);
    }
    if (reason != NoBidReason::kNone) {
      reason_ = Closer(reason_, reason);
      return true;
    }
    if (!have_winner_) {
      winner_ = candidate;
      have_winner_ = true;
    } else if (candidate.ecpm > winner_.ecpm) {
      runner_up_ = winner_;
      winner_ = candidate;
    } else if (candidate.ecpm > runner_up_.ecpm) {
      runner_up_ = candidate;
    }
    return true;
  }

  bool have_winner() const { return have_winner_; }
  const Candidate& winner() const { return winner_; }
  Micros runner_up() const { return runner_up_.ecpm; }
  NoBidReason reason() const { return reason_; }

 private:
  // The imps of this request `campaign` has won so far (a short list: at most max_bids).
  size_t Wins(const Campaign& campaign) const {
    return static_cast<size_t>(std::count_if(
        bids_.begin(), bids_.end(), [&](const Bid& bid) { return bid.campaign == &campaign; }));
  }

  const BidRequest& request_;
  const Imp& imp_;
  const ImpTerms& terms_;
  const AuctionContext& context_;
  NoBidReason reason_;
  const std::vector<Bid>& bids_;  // the request's bids so far
  bool have_winner_ = false;
  Candidate winner_{};
  Candidate runner_up_{};
};

bool SeatAllowed(const BidRequest& request, std::string_view seat) {
  return (request.wseat.empty() || Contains(request.wseat, seat)) && !Contains(request.bseat, seat);
}

}  // namespace

int64_t CtrPriorPpm() { return CtrPrior{}.ctr_ppm; }

Micros ClearingPrice(int auction_type, Micros winner, Micros runner_up, Micros floor) {
  if (auction_type == 2) return std::min(winner, std::max(runner_up, floor) + kOneCent);
  if (auction_type == 3) return floor;
  return winner;  // first price, and auction types we do not know: bid what we mean
}

Micros ClickPrice(Micros clearing_cpm, int64_t ctr_ppm, Micros max_cpc) {
  if (ctr_ppm <= 0) return max_cpc;
  // Per impression clearing_cpm / 1000, per click that over ctr_ppm / 1e6.
  const __int128 per_click = static_cast<__int128>(clearing_cpm) * 1000 / ctr_ppm;
  return static_cast<Micros>(std::min<__int128>(per_click, max_cpc));
}

bool CampaignExplanation::eligible() const {
  return reason == NoBidReason::kNone &&
         std::any_of(imp_reasons.begin(), imp_reasons.end(),
                     [](NoBidReason r) { return r == NoBidReason::kNone; });
}

CampaignExplanation ExplainCampaign(const Campaign& campaign, const BidRequest& request,
                                    const RequestFacts& facts, const AuctionContext& context) {
  CampaignExplanation e;
  e.campaign = &campaign;
  AuctionResult currency;
  if (!PickCurrency(request, Currencies(context), &currency)) {
    e.reason = NoBidReason::kUnsupportedCurrency;
  } else if (!SeatAllowed(request, context.seat)) {
    e.reason = NoBidReason::kBlockedSeat;
  } else {
    e.reason = CheckCampaign(campaign, request, facts, context.now);
  }
  if (e.reason == NoBidReason::kNone) e.reason = CheckSupply(campaign, context);
  if (e.reason != NoBidReason::kNone) return e;
  for (const Imp& imp : request.imps) {
    const ImpTerms terms = PriceImp(request, imp, context);
    Candidate candidate;
    NoBidReason r = terms.unpriceable;
    if (r == NoBidReason::kNone) {
      r = CheckOffer(campaign, request, imp, terms, context, &candidate);
    }
    if (r == NoBidReason::kNone && context.policy) r = context.policy->Admit(campaign);
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

AuctionResult RunAuction(const BidRequest& request, const CampaignSet& campaigns,
                         const AuctionContext& context) {
  AuctionResult result;
  result.imp_reasons.assign(request.imps.size(), NoBidReason::kNoCampaigns);
  if (campaigns.size() == 0) return result;
  if (!PickCurrency(request, Currencies(context), &result)) {
    std::fill(result.imp_reasons.begin(), result.imp_reasons.end(),
              NoBidReason::kUnsupportedCurrency);
    return result;
  }
  if (!SeatAllowed(request, context.seat)) {
    std::fill(result.imp_reasons.begin(), result.imp_reasons.end(), NoBidReason::kBlockedSeat);
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
    if (result.bids.size() >= context.max_bids) {
      result.imp_reasons[i] = NoBidReason::kRequestLimit;
      continue;
    }
    const Imp& imp = request.imps[i];
    const ImpTerms terms = PriceImp(request, imp, context);
    if (terms.unpriceable != NoBidReason::kNone) {
      result.imp_reasons[i] = terms.unpriceable;
      continue;
    }
    ImpAuction auction(request, imp, terms, context, closest, result.bids);
    NoBidReason residual_reason = NoBidReason::kTargeting;
    if (context.use_index) {
      campaigns.ForEachEligible(
          *scratch, request, facts, context.now,
          [&](const Campaign& campaign) { return auction.Offer(campaign); }, &residual_reason);
    } else {
      for (const Campaign* campaign : scanned) {
        if (!auction.Offer(*campaign)) break;
      }
    }
    if (!auction.have_winner()) {
      result.imp_reasons[i] =
          context.use_index ? Closer(auction.reason(), residual_reason) : auction.reason();
      continue;
    }
    const Candidate& winner = auction.winner();
    const Micros clearing =
        ClearingPrice(winner.auction_type, winner.ecpm, auction.runner_up(), winner.floor);
    result.imp_reasons[i] = NoBidReason::kNone;
    result.bids.push_back(Bid{
        .imp_index = i,
        .campaign = winner.campaign,
        .match = winner.match,
        .max_price = winner.ecpm,
        .clearing_price = clearing,
        .price_in_currency = *Currencies(context).FromUsd(clearing, result.currency),
        .deal = winner.deal,
        .ctr_ppm = winner.ctr_ppm,
        .click_price = winner.campaign->strategy == BidStrategy::kCpc
                           ? ClickPrice(clearing, winner.ctr_ppm, winner.campaign->max_bid_cpc)
                           : 0,
    });
  }
  return result;
}

}  // namespace vetrina::engine
