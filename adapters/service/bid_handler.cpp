#include "adapters/service/bid_handler.h"

#include "adapters/audiences/pixel.h"
#include "adapters/money/notice_request.h"
#include "base/hex.h"
#include "base/json_writer.h"
#include "adapters/openrtb/response_writer.h"
#include "engine/auction/auction.h"
#include "base/strings.h"

namespace vetrina::service {
namespace {

// A notice answer that waits for the spend journal. Whichever comes second — the journal's
// completion (writer thread) or the server's defer call (after Handle returns) — writes the
// response and resumes the connection, so the response is never touched while Handle runs.
class DeferredNotice {
 public:
  DeferredNotice(http::HttpResponse* response, Metrics& metrics, int kind,
                 Metrics::NoticeResult result)
      : response_(response), metrics_(metrics), kind_(kind), result_(result) {}

  // The writer's completion.
  void Durable(absl::Status status) {
    std::function<void()> resume;
    {
      absl::MutexLock lock(&mu_);
      status_ = std::move(status);
      done_ = true;
      resume = std::move(resume_);
    }
    if (resume) Finish(resume);
  }
  // Called by Handle before it returns: Finish runs only after Defer, which follows Handle.
  void set_result(Metrics::NoticeResult result) { result_ = result; }
  // The server's defer call.
  void Defer(std::function<void()> resume) {
    {
      absl::MutexLock lock(&mu_);
      if (!done_) {
        resume_ = std::move(resume);
        return;
      }
    }
    Finish(resume);
  }

 private:
  void Finish(const std::function<void()>& resume) {
    if (!status_.ok()) {
      http::SetError(503, "spend journal unavailable", response_);
      result_ = Metrics::NoticeResult::kFailed;
    }
    metrics_.CountNotice(kind_, result_);
    metrics_.CountRequest(Endpoint::kNotice, response_->status);
    resume();
  }

  http::HttpResponse* const response_;
  Metrics& metrics_;
  const int kind_;
  Metrics::NoticeResult result_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_;  // written before done_ is set, read after
  std::function<void()> resume_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

BidHandler::BidHandler(Bidder& bidder, int worker)
    : bidder_(bidder),
      worker_(worker),
      reader_(bidder.epoch()),
      parser_(bidder.options().max_body_bytes),
      rng_(bidder.options().random_seed ^ (0x9e3779b97f4a7c15ULL * (worker + 1))),
      id_prefix_(StrCat(HexNumber(static_cast<uint64_t>(absl::ToUnixMicros(bidder.clock().Now()))), "-",
                        worker, "-")) {}

std::string BidHandler::NextResponseId() { return StrCat(id_prefix_, HexNumber(++sequence_)); }

void BidHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.path == "/openrtb2/bid") {
    HandleBid(request, response);
    bidder_.metrics().CountRequest(Endpoint::kBid, response->status);
    return;
  }
  if (request.path == "/px") {
    HandlePixel(request, response);
    bidder_.metrics().CountRequest(Endpoint::kPixel, response->status);
    return;
  }
  if (request.path.substr(0, 4) == "/ev/" && bidder_.spend_writer() != nullptr) {
    HandleNotice(request, response);
    return;  // counted when answered: the answer may wait for the journal
  }
  http::SetError(404, "not found", response);
  bidder_.metrics().CountRequest(Endpoint::kOther, response->status);
}

void BidHandler::CollectUserKeys(const engine::PrivacyDecision& privacy) {
  user_keys_.clear();
  capping_key_.reset();
  const engine::Device& device = bid_request_.device;
  const engine::User& user = bid_request_.user;
  if (privacy.audiences_allowed) {
    auto add = [&](const std::string& id) {
      // None for an all-zero IFA.
      if (std::optional<engine::AudienceKey> key = engine::KeyForId(id)) user_keys_.push_back(*key);
    };
    if (privacy.ifa_allowed) add(device.ifa);
    add(device.ifv);
    add(user.id);
    add(user.buyer_uid);
    for (const engine::Eid& eid : user.eids) {
      for (const std::string& id : eid.ids) add(id);
    }
  }
  if (!privacy.capping_allowed) return;
  // Caps count under the IFA, else the IFV, else the user id. The IFA's audience key, when it
  // was computed above, comes first in user_keys_.
  if (privacy.ifa_allowed && !device.ifa.empty() && !engine::IsZeroIfa(device.ifa)) {
    capping_key_ = privacy.audiences_allowed && !user_keys_.empty() ? user_keys_.front()
                                                                    : engine::KeyForId(device.ifa);
  }
  if (!capping_key_ && !device.ifv.empty()) capping_key_ = engine::KeyForId(device.ifv);
  if (!capping_key_ && !privacy.capping_ifv_only && !user.id.empty()) {
    capping_key_ = engine::KeyForId(user.id);
  }
}

bool BidHandler::LookUpSegments(const engine::EpochDomain::ReadGuard& guard) {
  const engine::AudienceStore* store = bidder_.audience_store();
  if (store == nullptr) return false;
  segment_names_.clear();
  if (user_keys_.empty()) return false;
  if (user_segments_.size() < user_keys_.size()) user_segments_.resize(user_keys_.size());
  store->LookupBatch(guard, user_keys_.data(), user_keys_.size(), audiences::Today(bidder_.clock()),
                     user_segments_.data());
  const engine::AudienceRegistry& registry = *bidder_.audience_registry().Get(guard).registry;
  for (size_t i = 0; i < user_keys_.size(); ++i) {
    for (engine::SegmentId s : user_segments_[i]) {
      if (const std::string* name = registry.Name(s)) segment_names_.push_back(*name);
    }
  }
  std::sort(segment_names_.begin(), segment_names_.end());
  segment_names_.erase(std::unique(segment_names_.begin(), segment_names_.end()),
                       segment_names_.end());
  return true;
}

void BidHandler::HandlePixel(const http::HttpRequest& request, http::HttpResponse* response) {
  // Always the GIF: a pixel never shows an error page; what went wrong is counted.
  response->status = 200;
  response->content_type = "image/gif";
  response->body.assign(audiences::PixelGif());
  response->headers.emplace_back("Cache-Control", "no-store");
  Metrics& metrics = bidder_.metrics();
  absl::StatusOr<audiences::PixelHit> hit = audiences::ParsePixelQuery(request.query);
  if (!hit.ok() || request.method != http::Method::kGet) {
    metrics.CountPixel(Metrics::PixelResult::kMalformed);
    return;
  }
  // Events of users whose signals forbid building audiences are dropped, never stored.
  const engine::PrivacyDecision privacy =
      engine::DecidePrivacy(hit->signals, {.vendor_id = bidder_.options().tcf_vendor_id});
  if (!privacy.audiences_allowed) {
    metrics.CountPixel(Metrics::PixelResult::kRestricted);
    return;
  }
  audiences::MembershipWriter* writer = bidder_.membership_writer();
  engine::EpochDomain::ReadGuard guard(reader_);
  const engine::AudienceRegistry& registry = *bidder_.audience_registry().Get(guard).registry;
  if (writer == nullptr || !registry.advertisers.contains(hit->event.advertiser)) {
    metrics.CountPixel(Metrics::PixelResult::kUnknownAdvertiser);
    return;
  }
  std::vector<engine::AudienceUpdate> updates =
      audiences::PixelUpdates(registry, *hit, audiences::Today(bidder_.clock()));
  if (!updates.empty() && !writer->TrySubmit(std::move(updates))) {
    metrics.CountPixel(Metrics::PixelResult::kDropped);
    return;
  }
  metrics.CountPixel(Metrics::PixelResult::kAccepted);
}

void BidHandler::HandleNotice(const http::HttpRequest& request, http::HttpResponse* response) {
  Metrics& metrics = bidder_.metrics();
  auto reject = [&](int status, std::string_view message, int kind) {
    http::SetError(status, message, response);
    metrics.CountNotice(kind, Metrics::NoticeResult::kRejected);
    metrics.CountRequest(Endpoint::kNotice, status);
  };
  if (request.method != http::Method::kGet && request.method != http::Method::kPost) {
    response->headers.emplace_back("Allow", "GET, POST");
    return reject(405, "use GET", -1);
  }
  absl::StatusOr<money::NoticeRequest> parsed =
      money::ParseNoticeRequest(request.path, request.query);
  if (!parsed.ok()) {
    return reject(parsed.status().code() == absl::StatusCode::kNotFound ? 404 : 400,
                  View(parsed.status().message()), -1);
  }
  const int kind = static_cast<int>(parsed->kind);
  const absl::Time now = bidder_.clock().Now();
  const bool click = parsed->kind == engine::NoticeKind::kClick;
  const bool from_ad = click || parsed->kind == engine::NoticeKind::kImpression;
  // A click is checked for its signature only: a user may click an ad long after it showed,
  // and must still reach the landing page; only its counting needs a live token.
  absl::StatusOr<engine::NoticeToken> token = engine::VerifyNoticeToken(
      parsed->token, bidder_.notice_key(), click ? absl::InfinitePast() : now);
  if (!token.ok()) return reject(403, View(token.status().message()), kind);
  if (token->scope != (from_ad ? engine::TokenScope::kAd : engine::TokenScope::kExchange)) {
    // The ad's tokens are public (they sit in the markup): they never report wins or prices.
    return reject(403, "token not valid for this notice", kind);
  }

  // The campaign as it is now: its budgets bound a charge without a reservation, its creative
  // gives the click's landing URL.
  engine::BudgetLimits limits = engine::BudgetLimits::Closed();
  std::string landing_url;
  {
    engine::EpochDomain::ReadGuard guard(reader_);
    if (const engine::Campaign* campaign =
            bidder_.campaigns().Get(guard).Find(token->campaign_id)) {
      limits = engine::BudgetLimits::Of(*campaign);
      for (const engine::Creative& creative : campaign->creatives) {
        if (creative.id == token->creative_id) landing_url = creative.landing_url;
      }
    }
  }
  if (click && now >= token->expires) {
    if (landing_url.empty()) return reject(404, "the creative no longer exists", kind);
    response->status = 302;
    response->headers.emplace_back("Location", landing_url);
    response->headers.emplace_back("Cache-Control", "no-store");
    response->content_type = "text/plain";
    metrics.CountNotice(kind, Metrics::NoticeResult::kRejected);  // redirected, not counted
    metrics.CountRequest(Endpoint::kNotice, 302);
    return;
  }
  auto deferred =
      std::make_shared<DeferredNotice>(response, metrics, kind, Metrics::NoticeResult::kCounted);
  const engine::Notice notice{parsed->kind, *std::move(token), parsed->price};
  const engine::NoticeResult result = bidder_.spend_writer()->Submit(
      notice, limits, [deferred](absl::Status s) { deferred->Durable(std::move(s)); });

  using Status = engine::NoticeResult::Status;
  if (result.status == Status::kPriceAbove) {
    return reject(400, "price above the bid", kind);
  }
  Metrics::NoticeResult outcome = Metrics::NoticeResult::kCounted;
  std::string_view status_text = "counted";
  if (result.status == Status::kDuplicate) {
    outcome = Metrics::NoticeResult::kDuplicate;
    status_text = "duplicate";
  } else if (result.status == Status::kOverBudget) {
    outcome = Metrics::NoticeResult::kOverBudget;
    status_text = "over_budget";
  } else if (result.effect.charged > 0) {
    outcome = Metrics::NoticeResult::kCharged;
    status_text = "charged";
  }
  deferred->set_result(outcome);
  if (parsed->kind == engine::NoticeKind::kClick && !landing_url.empty()) {
    response->status = 302;
    response->headers.emplace_back("Location", landing_url);
    response->body.clear();
    response->content_type = "text/plain";
  } else if (parsed->kind == engine::NoticeKind::kClick) {
    http::SetError(404, "the creative no longer exists", response);
  } else {
    response->status = 200;
    response->body =
        StrCat("{\"status\":\"", status_text, "\",\"charged_micros\":", result.effect.charged,
               ",\"bid_charged_micros\":", result.bid_charged, "}");
  }
  response->headers.emplace_back("Cache-Control", "no-store");
  response->defer = [deferred](std::function<void()> resume) {
    deferred->Defer(std::move(resume));
  };
}

void BidHandler::HandleBid(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.method != http::Method::kPost) {
    http::SetError(405, "use POST", response);
    response->headers.emplace_back("Allow", "POST");
    return;
  }
  response->headers.emplace_back("x-openrtb-version", request.openrtb_version.empty()
                                                          ? "2.6"
                                                          : std::string(request.openrtb_version));

  if (absl::Status s = parser_.Parse(request.body, &bid_request_); !s.ok()) {
    http::SetError(s.code() == absl::StatusCode::kResourceExhausted ? 413 : 400, View(s.message()),
             response);
    return;
  }
  bid_request_.received_at = request.received_at;
  engine::MinimiseRequest(&bid_request_);  // truncated IPs from here on
  auto too_late = [&] {
    response->status = 204;
    response->body.clear();
    response->headers.emplace_back("x-vetrina-no-bid", "deadline");
    bidder_.metrics().CountNoBid(engine::NoBidReason::kDeadline);
    bidder_.metrics().ObserveBidLatency(bidder_.clock().Now() - request.received_at);
  };
  if (PastDeadline(request.received_at)) return too_late();

  engine::EpochDomain::ReadGuard guard(reader_);
  const engine::CampaignSet& campaigns = bidder_.campaigns().Get(guard);
  const engine::MarketRules* market = bidder_.market().Get(guard).rules.get();
  const engine::PrivacyDecision privacy =
      engine::DecidePrivacy(bid_request_, {.vendor_id = bidder_.options().tcf_vendor_id,
                                           .child_directed_apps = &market->child_directed_apps});
  if (privacy.restricted()) bidder_.metrics().CountPrivacy(privacy.rules);
  CollectUserKeys(privacy);
  const bool known_user = privacy.audiences_allowed && LookUpSegments(guard);
  const absl::Time now = bidder_.clock().Now();
  const std::string& app = bid_request_.publication.bundle.empty()
                               ? bid_request_.publication.domain
                               : bid_request_.publication.bundle;
  std::optional<engine::SpendPolicy> policy;
  if (engine::MoneyState* money = bidder_.money()) {
    // Keyed like the notice tokens, so predictions and counts meet even for very long bundles.
    policy.emplace(*money, rng_, now, engine::CtrApp(app), bidder_.user_key(), capping_key_);
  }
  engine::AuctionResult result =
      engine::RunAuction(bid_request_, campaigns,
                         engine::AuctionContext{.now = now,
                                                .segments = known_user ? &segment_names_ : nullptr,
                                                .scratch = &scratch_,
                                                .market = market,
                                                .policy = policy ? &*policy : nullptr,
                                                .seat = bidder_.options().response.seat,
                                                .child_directed = privacy.child_directed});
  if (PastDeadline(request.received_at)) {
    // The auction ran long (or the worker stalled): a late bid is a lost bid, and it would
    // hold budget until its reservation expired.
    return too_late();
  }
  if (policy) ReserveAndSign(&result, *policy, now, privacy.personal_data_in_notices);
  if (result.bids.empty()) {
    const engine::NoBidReason reason = result.RequestReason();
    bidder_.metrics().CountNoBid(reason);
    if (reason == engine::NoBidReason::kFrequencyCapped) {
      // OpenRTB's no-bid reason 9: the user has seen our ads as often as allowed.
      response->status = 200;
      response->body = "{\"id\":\"";
      AppendJsonEscaped(bid_request_.id, &response->body);
      response->body.append("\",\"nbr\":9}");
    } else {
      response->status = 204;
    }
  } else {
    if (!policy) {  // no money wiring (tests of the bare bid path): unsigned ids only
      signed_bids_.clear();
      for (const engine::Bid& bid : result.bids) {
        signed_bids_.push_back({StrCat(NextResponseId(), "-", bid.imp_index), "", ""});
      }
    }
    response->status = 200;
    openrtb::WriteBidResponse(bid_request_, result, NextResponseId(), signed_bids_,
                              bidder_.options().response, &response->body);
    bidder_.metrics().CountBid(static_cast<int>(result.bids.size()));
  }
  bidder_.metrics().ObserveBidLatency(bidder_.clock().Now() - request.received_at);
}

bool BidHandler::PastDeadline(absl::Time received_at) const {
  const BidderOptions& o = bidder_.options();
  const absl::Duration tmax =
      bid_request_.tmax_ms > 0 ? absl::Milliseconds(bid_request_.tmax_ms) : o.default_tmax;
  return bidder_.clock().Now() >= received_at + tmax - o.deadline_margin;
}

void BidHandler::ReserveAndSign(engine::AuctionResult* result, engine::SpendPolicy& policy,
                                absl::Time now, bool personal_data) {
  engine::MoneyState& money = *bidder_.money();
  signed_bids_.clear();
  auto kept = result->bids.begin();
  for (engine::Bid& bid : result->bids) {
    const engine::Campaign& campaign = *bid.campaign;
    std::string bid_id = NextResponseId();
    const engine::Micros cost =
        bid.click_price > 0 ? bid.click_price : engine::ImpressionCost(bid.clearing_price);
    const bool budgeted = campaign.daily_budget > 0 || campaign.lifetime_budget > 0;
    // Another thread may have taken the last of the budget since the auction looked.
    if (budgeted && !money.ledger.Reserve(bid_id, campaign, cost, now)) {
      result->imp_reasons[bid.imp_index] = engine::NoBidReason::kBudgetExhausted;
      continue;
    }
    money.ledger.Account(campaign.id).bids.fetch_add(1, std::memory_order_relaxed);
    engine::NoticeToken token{
        .scope = engine::TokenScope::kExchange,
        .auction_id = bid_request_.id,
        .bid_id = bid_id,
        .campaign_id = campaign.id,
        .creative_id = bid.match.creative->id,
        .app = std::string(engine::CtrApp(bid_request_.publication.bundle.empty()
                                              ? bid_request_.publication.domain
                                              : bid_request_.publication.bundle)),
        .bid_price = bid.clearing_price,
        .currency = result->currency,
        .rate_micros = result->rate_micros,
        .click_price = bid.click_price,
        .user = campaign.frequency_caps.empty() || !personal_data ? 0 : policy.user(),
        .issued = now,
        .expires = now + money.ledger.timeout(),
    };
    openrtb::SignedBid& signed_bid = signed_bids_.emplace_back();
    signed_bid.id = std::move(bid_id);
    signed_bid.exchange_token = engine::SignNoticeToken(token, bidder_.notice_key());
    // The trackers in the ad live longer: impressions of cached ads and late clicks still count.
    token.scope = engine::TokenScope::kAd;
    token.expires = now + bidder_.options().ad_token_ttl;
    signed_bid.ad_token = engine::SignNoticeToken(token, bidder_.notice_key());
    *kept++ = bid;
  }
  result->bids.erase(kept, result->bids.end());
}

}  // namespace vetrina::service
