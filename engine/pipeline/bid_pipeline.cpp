#include "engine/pipeline/bid_pipeline.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "base/hex.h"
#include "base/strings.h"
#include "engine/money/notice_token.h"
#include "engine/privacy/user_data.h"

namespace vetrina::engine {

BidPipeline::BidPipeline(BidPipelineConfig config, const Clock& clock, int worker)
    : config_(std::move(config)),
      clock_(clock),
      rng_(config_.random_seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(worker + 1))),
      id_prefix_(StrCat(HexNumber(static_cast<uint64_t>(absl::ToUnixMicros(clock.Now()))), "-",
                        worker, "-")) {
  assert(config_.notice_key != nullptr && config_.user_key != nullptr);
}

std::string BidPipeline::NextId() { return StrCat(id_prefix_, HexNumber(++sequence_)); }

bool BidPipeline::PastDeadline(const BidRequest& request, absl::Time received_at) const {
  const absl::Duration tmax =
      request.tmax_ms > 0 ? absl::Milliseconds(request.tmax_ms) : config_.default_tmax;
  return clock_.Now() >= received_at + tmax - config_.deadline_margin;
}

BidOutcome BidPipeline::Bid(BidRequest* request, const BidWorld& world, absl::Time received_at) {
  BidOutcome outcome;
  bid_ids_.clear();
  signed_bids_.clear();  // a late request leaves none, not the previous request's
  Minimise(request);
  outcome.imps_over_limit = LimitImps(request);
  if (PastDeadline(*request, received_at)) {
    outcome.status = BidOutcome::Status::kTooLate;
    return outcome;
  }
  outcome.privacy = DecidePrivacy(*request, world.market);
  CollectUserKeys(*request, outcome.privacy);
  const absl::Time now = clock_.Now();
  const std::vector<std::string>* segments = LookUpSegments(world, outcome.privacy, now);
  SpendPolicy policy = MakePolicy(*request, world, SpendPolicy::Mode::kBid, now);
  outcome.result = RunAuction(*request, world, outcome.privacy, segments, policy, now);
  if (PastDeadline(*request, received_at)) {
    // The auction ran long (or the worker stalled): a late bid is a lost bid, and it would hold
    // budget until its reservation expired.
    outcome.status = BidOutcome::Status::kTooLate;
    return outcome;
  }
  Reserve(&outcome.result, world, now);
  Sign(*request, outcome.result, world, policy, outcome.privacy.personal_data_in_notices, now);
  if (outcome.result.bids.empty()) {
    outcome.status = BidOutcome::Status::kNoBid;
  } else {
    outcome.status = BidOutcome::Status::kBid;
    outcome.response_id = NextId();
  }
  return outcome;
}

Explanation BidPipeline::Explain(BidRequest* request, const BidWorld& world,
                                 const std::function<bool(const Campaign&)>& include,
                                 size_t limit) {
  Explanation explanation;
  Minimise(request);
  LimitImps(request);
  explanation.privacy = DecidePrivacy(*request, world.market);
  CollectUserKeys(*request, explanation.privacy);
  const absl::Time now = clock_.Now();
  const std::vector<std::string>* segments = LookUpSegments(world, explanation.privacy, now);
  explanation.known_user = segments != nullptr;
  SpendPolicy policy = MakePolicy(*request, world, SpendPolicy::Mode::kDryRun, now);
  const RequestFacts facts = MakeRequestFacts(*request, now, segments);
  explanation.supply = DecideSupply(*request, world.market);
  AuctionContext context = Context(world, explanation.privacy, segments, policy, now);
  context.authorised_supply = explanation.supply.authorised();
  world.campaigns.ForEachCampaign([&](const Campaign& campaign) {
    if (!include(campaign)) return true;
    if (explanation.campaigns.size() == limit) {
      explanation.truncated = true;
      return false;
    }
    explanation.campaigns.push_back(ExplainCampaign(campaign, *request, facts, context));
    return true;
  });
  return explanation;
}

void BidPipeline::Minimise(BidRequest* request) { MinimiseRequest(request); }

size_t BidPipeline::LimitImps(BidRequest* request) const {
  if (request->imps.size() <= config_.max_imps_per_request) return 0;
  const size_t over = request->imps.size() - config_.max_imps_per_request;
  request->imps.resize(config_.max_imps_per_request);
  return over;
}

PrivacyDecision BidPipeline::DecidePrivacy(const BidRequest& request,
                                           const MarketRules& market) const {
  PrivacyDecision decision = engine::DecidePrivacy(
      request,
      {.vendor_id = config_.tcf_vendor_id, .child_directed_apps = &market.child_directed_apps});
  WithholdChildData(&decision);
  return decision;
}

void BidPipeline::CollectUserKeys(const BidRequest& request, const PrivacyDecision& privacy) {
  user_keys_.clear();
  capping_key_.reset();
  const Device& device = request.device;
  const User& user = request.user;
  if (privacy.audiences_allowed) {
    auto add = [&](const std::string& id) {
      // None for an all-zero IFA.
      if (std::optional<AudienceKey> key = KeyForId(id)) user_keys_.push_back(*key);
    };
    if (privacy.ifa_allowed) add(device.ifa);
    add(device.ifv);
    add(user.id);
    add(user.buyer_uid);
    for (const Eid& eid : user.eids) {
      for (const std::string& id : eid.ids) add(id);
    }
  }
  if (!privacy.capping_allowed) return;
  // Caps count under the IFA, else the IFV, else the user id. The IFA's audience key, when it
  // was computed above, comes first in user_keys_.
  if (privacy.ifa_allowed && !device.ifa.empty() && !IsZeroIfa(device.ifa)) {
    capping_key_ = privacy.audiences_allowed && !user_keys_.empty() ? user_keys_.front()
                                                                    : KeyForId(device.ifa);
  }
  if (!capping_key_ && !device.ifv.empty()) capping_key_ = KeyForId(device.ifv);
  if (!capping_key_ && !privacy.capping_ifv_only && !user.id.empty()) {
    capping_key_ = KeyForId(user.id);
  }
}

const std::vector<std::string>* BidPipeline::LookUpSegments(const BidWorld& world,
                                                            const PrivacyDecision& privacy,
                                                            absl::Time now) {
  segment_names_.clear();
  if (!privacy.audiences_allowed || world.audience_store == nullptr ||
      world.audience_registry == nullptr || user_keys_.empty()) {
    return nullptr;
  }
  if (user_segments_.size() < user_keys_.size()) user_segments_.resize(user_keys_.size());
  world.audience_store->LookupBatch(world.guard, user_keys_.data(), user_keys_.size(),
                                    AudienceDay(now), user_segments_.data());
  for (size_t i = 0; i < user_keys_.size(); ++i) {
    for (SegmentId s : user_segments_[i]) {
      if (const std::string* name = world.audience_registry->Name(s)) {
        segment_names_.push_back(*name);
      }
    }
  }
  std::sort(segment_names_.begin(), segment_names_.end());
  segment_names_.erase(std::unique(segment_names_.begin(), segment_names_.end()),
                       segment_names_.end());
  return &segment_names_;
}

SpendPolicy BidPipeline::MakePolicy(const BidRequest& request, const BidWorld& world,
                                    SpendPolicy::Mode mode, absl::Time now) {
  // Keyed like the notice tokens, so predictions and counts meet even for very long bundles.
  return SpendPolicy(world.money, rng_, now, CtrApp(request.publication.app()), *config_.user_key,
                     capping_key_, mode);
}

AuctionContext BidPipeline::Context(const BidWorld& world, const PrivacyDecision& privacy,
                                    const std::vector<std::string>* segments, SpendPolicy& policy,
                                    absl::Time now) {
  return AuctionContext{.now = now,
                        .segments = segments,
                        .scratch = &scratch_,
                        .market = &world.market,
                        .policy = &policy,
                        .seat = config_.seat,
                        .child_directed = privacy.child_directed,
                        .https_notices = config_.https_notices,
                        .max_bids = config_.max_bids_per_response,
                        .max_bids_per_campaign = config_.max_bids_per_campaign};
}

AuctionResult BidPipeline::RunAuction(const BidRequest& request, const BidWorld& world,
                                      const PrivacyDecision& privacy,
                                      const std::vector<std::string>* segments, SpendPolicy& policy,
                                      absl::Time now) {
  AuctionContext context = Context(world, privacy, segments, policy, now);
  context.authorised_supply = DecideSupply(request, world.market).authorised();
  return engine::RunAuction(request, world.campaigns, context);
}

SupplyVerdict BidPipeline::DecideSupply(const BidRequest& request, const MarketRules& market) {
  return engine::DecideSupply(request, market.authorised_sellers);
}

void BidPipeline::Reserve(AuctionResult* result, const BidWorld& world, absl::Time now) {
  bid_ids_.clear();
  leases_.clear();
  reserved_.clear();
  auto kept = result->bids.begin();
  for (engine::Bid& bid : result->bids) {
    const Campaign& campaign = *bid.campaign;
    std::string bid_id = NextId();
    const Micros cost = bid.click_price > 0 ? bid.click_price : ImpressionCost(bid.clearing_price);
    const bool budgeted = campaign.daily_budget > 0 || campaign.lifetime_budget > 0;
    // What this request already holds of the campaign's budget (a short list: one entry per
    // campaign that won here).
    auto held = std::find_if(reserved_.begin(), reserved_.end(),
                             [&](const auto& entry) { return entry.first == &campaign; });
    if (held == reserved_.end()) held = reserved_.insert(held, {&campaign, 0});
    if (budgeted && held->second > 0) {
      const Micros budget =
          campaign.daily_budget > 0 ? campaign.daily_budget : campaign.lifetime_budget;
      const Micros cap = static_cast<Micros>(static_cast<__int128>(budget) *
                                             config_.max_request_reservation_ppm / 1'000'000);
      if (held->second + cost > cap) {
        result->imp_reasons[bid.imp_index] = NoBidReason::kRequestLimit;
        continue;
      }
    }
    LeaseId lease;
    if (budgeted && !world.money.ledger.Reserve(bid_id, campaign, cost, now, &lease)) {
      // Another thread took the last of it since the auction looked.
      const NoBidReason held_by = world.money.ledger.Account(campaign.id).Check(campaign, now);
      result->imp_reasons[bid.imp_index] =
          held_by == NoBidReason::kLeaseExhausted ? held_by : NoBidReason::kBudgetExhausted;
      continue;
    }
    held->second += cost;
    world.money.ledger.Account(campaign.id).bids.fetch_add(1, std::memory_order_relaxed);
    bid_ids_.push_back(std::move(bid_id));
    leases_.push_back(lease);
    *kept++ = bid;
  }
  result->bids.erase(kept, result->bids.end());
}

void BidPipeline::Sign(const BidRequest& request, const AuctionResult& result,
                       const BidWorld& world, SpendPolicy& policy, bool personal_data,
                       absl::Time now) {
  assert(bid_ids_.size() == result.bids.size());
  signed_bids_.clear();
  for (size_t i = 0; i < result.bids.size(); ++i) {
    const engine::Bid& bid = result.bids[i];
    const Campaign& campaign = *bid.campaign;
    NoticeToken token{
        .scope = TokenScope::kExchange,
        .auction_id = request.id,
        .bid_id = bid_ids_[i],
        .campaign_id = campaign.id,
        .creative_id = bid.match.creative->id,
        .app = std::string(CtrApp(request.publication.app())),
        .bid_price = bid.clearing_price,
        .currency = result.currency,
        .rate_micros = result.rate_micros,
        .click_price = bid.click_price,
        .user = campaign.frequency_caps.empty() || !personal_data ? 0 : policy.user(),
        .lease = leases_[i],
        .issued = now,
        .expires = now + world.money.notice_window,
    };
    SignedBid& signed_bid = signed_bids_.emplace_back();
    signed_bid.id = std::move(bid_ids_[i]);
    signed_bid.exchange_token = SignNoticeToken(token, *config_.notice_key);
    // The trackers in the ad live longer: impressions of cached ads and late clicks still count.
    token.scope = TokenScope::kAd;
    token.expires = now + config_.ad_token_ttl;
    signed_bid.ad_token = SignNoticeToken(token, *config_.notice_key);
  }
}

}  // namespace vetrina::engine
