#include "adapters/service/bid_handler.h"

#include "adapters/audiences/pixel.h"
#include "adapters/money/notice_request.h"
#include "adapters/openrtb/response_writer.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace vetrina::service {
namespace {

// How long after a bid another node of the fleet may not know its campaign yet: well past the
// propagation's p99 (docs/benchmarks.md), so only a campaign deleted since stays unknown.
constexpr absl::Duration kFleetPropagation = absl::Seconds(5);

// A notice answer that waits for the spend writer. Whichever comes second — the writer's
// completion (writer thread, or the caller's for a notice that changes nothing) or the server's
// defer call (after Handle returns) — writes the response and resumes the connection, so the
// response is never touched while Handle runs.
class DeferredNotice {
 public:
  DeferredNotice(http::HttpResponse* response, Metrics& metrics, int kind, bool click,
                 std::string landing_url)
      : response_(response),
        metrics_(metrics),
        kind_(kind),
        click_(click),
        landing_url_(std::move(landing_url)) {}

  // The writer's completion.
  void Done(absl::StatusOr<engine::NoticeResult> result) {
    std::function<void()> resume;
    {
      absl::MutexLock lock(&mu_);
      result_ = std::move(result);
      done_ = true;
      resume = std::move(resume_);
    }
    if (resume) Finish(resume);
  }
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
    using Status = engine::NoticeResult::Status;
    Metrics::NoticeResult outcome = Metrics::NoticeResult::kCounted;
    if (!result_.ok()) {
      http::SetError(503, "spend journal unavailable", response_);
      LogFailedRequest(
          Endpoint::kNotice,
          StrCat("/ev/", engine::NoticeKindName(static_cast<engine::NoticeKind>(kind_))), 503,
          result_.status().ToString());
      if (absl::IsUnavailable(result_.status()) || absl::IsDeadlineExceeded(result_.status())) {
        response_->headers.emplace_back("Retry-After", "1");  // the shared log is out of reach
      }
      outcome = Metrics::NoticeResult::kFailed;
    } else if (result_->status == Status::kPriceAbove) {
      http::SetError(400, "price above the bid", response_);
      outcome = Metrics::NoticeResult::kRejected;
    } else {
      std::string_view status_text = "counted";
      if (result_->status == Status::kDuplicate) {
        outcome = Metrics::NoticeResult::kDuplicate;
        status_text = "duplicate";
      } else if (result_->status == Status::kOverBudget) {
        outcome = Metrics::NoticeResult::kOverBudget;
        status_text = "over_budget";
      } else if (result_->status == Status::kLate) {
        outcome = Metrics::NoticeResult::kLate;
        status_text = "late";
      } else if (result_->effect.charged > 0) {
        outcome = Metrics::NoticeResult::kCharged;
        status_text = "charged";
        metrics_.AddSpend(kind_, result_->effect.charged);
      }
      if (click_ && !landing_url_.empty()) {
        response_->status = 302;
        response_->headers.emplace_back("Location", landing_url_);
        response_->body.clear();
        response_->content_type = "text/plain";
      } else if (click_) {
        http::SetError(404, "the creative no longer exists", response_);
      } else {
        response_->status = 200;
        response_->body =
            StrCat("{\"status\":\"", status_text, "\",\"charged_micros\":", result_->effect.charged,
                   ",\"bid_charged_micros\":", result_->bid_charged, "}");
      }
      response_->headers.emplace_back("Cache-Control", "no-store");
    }
    metrics_.CountNotice(kind_, outcome);
    metrics_.CountRequest(Endpoint::kNotice, response_->status);
    resume();
  }

  http::HttpResponse* const response_;
  Metrics& metrics_;
  const int kind_;
  const bool click_;
  const std::string landing_url_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusOr<engine::NoticeResult> result_;  // written before done_ is set, read after
  std::function<void()> resume_ ABSL_GUARDED_BY(mu_);
};

// The page a native ad's privacy link opens (Native 1.2 §5.1 `privacy`) when the campaign names
// none: what the targeting uses and how a user opts out. Kept in step with docs/privacy.md.
constexpr std::string_view kPrivacyPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>About this ad</title></head>
<body>
<h1>About this ad</h1>
<p>This ad was chosen by Vetrina, an ad bidder, from what the app or site sent with the ad
request: its name and category, the country and region, the device type, operating system,
connection and language, the time of day, and the ad slot. An advertiser may also reach people
who visited its own app or site (through its pixel) or are on a list it uploaded; such lists hold
a one-way hash of an advertising id, never the id itself. How often you see an ad is limited with
a keyed hash of the same id.</p>
<h2>How to opt out</h2>
<ul>
<li>Limit ad tracking: on iOS, deny tracking (App Tracking Transparency) or turn off
"Allow Apps to Request to Track"; on Android, delete or reset your advertising ID. Vetrina then
targets no audience and caps frequency without that id.</li>
<li>Privacy choices in the app or site: a GDPR consent refusal, a US "do not sell or share"
choice, or Global Privacy Control reach us with the request, and we then use only what the
request itself says (no audiences, no per-user capping).</li>
<li>The same choices are honoured by the advertiser's pixel: a visit made under them is not
added to any audience.</li>
</ul>
<p>We keep no IP address beyond its network part, and our logs hold nothing about you.</p>
</body></html>
)";

}  // namespace

BidHandler::BidHandler(Bidder& bidder, int worker)
    : bidder_(bidder),
      reader_(bidder.epoch()),
      parser_(bidder.options().max_body_bytes),
      pipeline_(bidder.pipeline_config(), bidder.clock(), worker),
      access_log_(bidder.options().access_log_sample,
                  static_cast<uint64_t>(absl::ToUnixNanos(bidder.clock().Now())) +
                      static_cast<uint64_t>(worker)) {}

void BidHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  const Endpoint endpoint = Route(request, response);
  access_log_.Record(request, response, endpoint, bidder_.clock());
}

Endpoint BidHandler::Route(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.path == "/openrtb2/bid") {
    HandleBid(request, response);
    bidder_.metrics().CountRequest(Endpoint::kBid, response->status);
    return Endpoint::kBid;
  }
  if (request.path == "/px") {
    HandlePixel(request, response);
    bidder_.metrics().CountRequest(Endpoint::kPixel, response->status);
    return Endpoint::kPixel;
  }
  if (request.path.substr(0, 4) == "/ev/" && bidder_.spend_writer() != nullptr) {
    HandleNotice(request, response);
    return Endpoint::kNotice;  // counted when answered: the answer may wait for the journal
  }
  if (request.path == "/privacy" &&
      (request.method == http::Method::kGet || request.method == http::Method::kHead)) {
    response->status = 200;
    response->content_type = "text/html; charset=utf-8";
    response->body.assign(kPrivacyPage);
    response->headers.emplace_back("Cache-Control", "public, max-age=86400");
    bidder_.metrics().CountRequest(Endpoint::kOther, response->status);
    return Endpoint::kOther;
  }
  http::SetError(404, "not found", response);
  bidder_.metrics().CountRequest(Endpoint::kOther, response->status);
  return Endpoint::kOther;
}

void BidHandler::Shed(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.path != "/openrtb2/bid") {
    http::Handler::Shed(request, response);
    bidder_.metrics().CountRequest(Endpoint::kOther, response->status);
    return;
  }
  response->status = 204;
  response->headers.emplace_back("x-vetrina-no-bid", "deadline");
  bidder_.metrics().CountNoBid(engine::NoBidReason::kDeadline);
  bidder_.metrics().CountRequest(Endpoint::kBid, response->status);
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
  engine::EpochDomain::ReadGuard guard(reader_);
  // Events of users whose signals forbid building audiences, and of children, are dropped,
  // never stored.
  const engine::MarketRules* market = bidder_.market().Get(guard).rules.get();
  const engine::PrivacyDecision privacy = audiences::PixelPrivacy(
      *hit, {.vendor_id = bidder_.pipeline_config().tcf_vendor_id,
             .child_directed_apps = market != nullptr ? &market->child_directed_apps : nullptr});
  if (!privacy.audiences_allowed) {
    metrics.CountPixel(Metrics::PixelResult::kRestricted);
    return;
  }
  audiences::MembershipWriter* writer = bidder_.membership_writer();
  const engine::AudienceRegistry& registry = *bidder_.audience_registry().Get(guard).registry;
  if (writer == nullptr || !registry.advertisers.contains(hit->event.advertiser)) {
    metrics.CountPixel(Metrics::PixelResult::kUnknownAdvertiser);
    return;
  }
  std::vector<engine::AudienceUpdate> updates =
      audiences::PixelUpdates(registry, *hit, engine::AudienceDay(bidder_.clock().Now()));
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
  bool known = false;
  {
    engine::EpochDomain::ReadGuard guard(reader_);
    if (const engine::Campaign* campaign =
            bidder_.campaigns().Get(guard).Find(token->campaign_id)) {
      known = true;
      limits = engine::BudgetLimits::Of(*campaign);
      for (const engine::Creative& creative : campaign->creatives) {
        if (creative.id == token->creative_id) landing_url = creative.landing_url;
      }
    }
  }
  if (!known && bidder_.in_fleet() && now < token->issued + kFleetPropagation) {
    // Another node bid for a campaign this one has not followed yet: its budget would read as
    // closed. The exchange retries once this node has caught up.
    metrics.CountNotice(kind, Metrics::NoticeResult::kFailed);
    http::SetError(503, "this node has not caught up with the bid's campaign yet", response);
    response->headers.emplace_back("Retry-After", "1");
    metrics.CountRequest(Endpoint::kNotice, 503);
    return;
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
      std::make_shared<DeferredNotice>(response, metrics, kind, click, std::move(landing_url));
  const engine::Notice notice{parsed->kind, *std::move(token), parsed->price};
  bidder_.spend_writer()->Submit(notice, limits,
                                 [deferred](absl::StatusOr<engine::NoticeResult> result) {
                                   deferred->Done(std::move(result));
                                 });
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
  // The version of the payload we answer with (OpenRTB 2.6 §2.5), never the request's: 2.5
  // requests are read as the subset of 2.6 they are, and the answer is 2.6 all the same.
  response->headers.emplace_back("x-openrtb-version", "2.6");
  absl::Status parsed = parser_.Parse(request.body, &bid_request_);
  Metrics& metrics = bidder_.metrics();
  metrics.CountIgnoredExts(static_cast<uint64_t>(parser_.notes().ignored_exts));
  if (!parsed.ok()) {
    http::SetError(parsed.code() == absl::StatusCode::kResourceExhausted ? 413 : 400,
                   View(parsed.message()), response);
    return;
  }
  for (const engine::Imp& imp : bid_request_.imps) metrics.CountRequestedImp(imp);
  for (const openrtb::ParseNotes::DroppedImp& dropped : parser_.notes().dropped_imps) {
    metrics.CountDroppedImps(dropped.reason == openrtb::ImpDropReason::kMalformed
                                 ? Metrics::ImpDropReason::kMalformed
                                 : Metrics::ImpDropReason::kIncomplete,
                             1);
  }
  bid_request_.received_at = request.received_at;
  engine::EpochDomain::ReadGuard guard(reader_);
  const engine::BidOutcome outcome =
      pipeline_.Bid(&bid_request_, bidder_.World(guard), request.received_at);
  metrics.CountDroppedImps(Metrics::ImpDropReason::kOverLimit, outcome.imps_over_limit);
  WriteOutcome(outcome, response);
  bidder_.metrics().ObserveBidLatency(bidder_.clock().Now() - request.received_at);
}

void BidHandler::WriteOutcome(const engine::BidOutcome& outcome, http::HttpResponse* response) {
  Metrics& metrics = bidder_.metrics();
  if (outcome.privacy.restricted()) metrics.CountPrivacy(outcome.privacy.rules);
  switch (outcome.status) {
    case engine::BidOutcome::Status::kTooLate:
      response->status = 204;
      response->body.clear();
      response->headers.emplace_back("x-vetrina-no-bid", "deadline");
      metrics.CountNoBid(engine::NoBidReason::kDeadline);
      return;
    case engine::BidOutcome::Status::kNoBid: {
      const engine::NoBidReason reason = outcome.result.RequestReason();
      metrics.CountNoBid(reason);
      if (reason == engine::NoBidReason::kFrequencyCapped) {
        // OpenRTB's no-bid reason 9: the user has seen our ads as often as allowed.
        response->status = 200;
        response->body = "{\"id\":\"";
        AppendJsonEscaped(bid_request_.id, &response->body);
        response->body.append("\",\"nbr\":9}");
      } else {
        response->status = 204;
      }
      return;
    }
    case engine::BidOutcome::Status::kBid:
      response->status = 200;
      openrtb::WriteBidResponse(bid_request_, outcome.result, outcome.response_id,
                                pipeline_.signed_bids(), bidder_.options().response,
                                &response->body);
      metrics.CountBid(static_cast<int>(outcome.result.bids.size()));
      for (const engine::Bid& bid : outcome.result.bids)
        metrics.ObserveBidPrice(bid.clearing_price);
      return;
  }
}

}  // namespace vetrina::service
