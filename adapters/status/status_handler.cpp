#include "adapters/status/status_handler.h"

#include <algorithm>

#include "absl/time/time.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "engine/money/budget.h"
#include "engine/money/pacing.h"
#include "engine/privacy/privacy.h"

namespace vetrina::status {
namespace {

constexpr std::string_view kStatusPath = "/v1/status";

void ServeAsset(std::string_view body, std::string_view etag, std::string_view content_type,
                std::string_view cache_control, http::HttpResponse* response) {
  response->status = 200;
  response->content_type = std::string(content_type);
  response->body = std::string(body);
  response->headers.emplace_back("ETag", std::string(etag));
  response->headers.emplace_back("Cache-Control", std::string(cache_control));
}

// Times as integer Unix milliseconds (what JavaScript's Date takes).
void WriteMillis(JsonWriter& w, absl::Time t) { w.Int(absl::ToUnixMillis(t)); }

void WriteCurve(JsonWriter& w, std::string_view key, const std::vector<SpendPoint>& points) {
  w.Key(key);
  w.BeginArray();
  for (const auto& [at, micros] : points) {
    w.BeginArray();
    WriteMillis(w, at);
    w.Price(micros);
    w.EndArray();
  }
  w.EndArray();
}

}  // namespace

void StatusHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
    http::SetError(405, "use GET", response);
    response->headers.emplace_back("Allow", "GET, HEAD");
    return;
  }
  const std::string_view path = request.path;
  // The page and its scripts change only with the binary: revalidate the page, keep the rest.
  if (path == "/" || path == "/index.html") {
    return ServeAsset(StatusPageHtml(), StatusPageHtmlEtag(), "text/html; charset=utf-8",
                      "no-cache", response);
  }
  if (path == "/static/status.js") {
    return ServeAsset(StatusPageJs(), StatusPageJsEtag(), "text/javascript; charset=utf-8",
                      "no-cache", response);
  }
  if (path == "/static/chart.js") {
    return ServeAsset(ChartJs(), ChartJsEtag(), "text/javascript; charset=utf-8",
                      "public, max-age=86400", response);
  }
  if (path != kStatusPath) return http::SetError(404, "not found", response);
  const std::optional<admin::Principal> who = catalog_.Authenticate(request.authorization);
  if (!who) {
    http::SetError(401, "missing or invalid bearer token", response);
    response->headers.emplace_back("WWW-Authenticate", "Bearer");
    return;
  }
  response->status = 200;
  response->body = StatusJson(*who);
  response->headers.emplace_back("Cache-Control", "no-store");
}

std::string StatusHandler::StatusJson(const admin::Principal& who) const {
  const absl::Time now = bidder_.clock().Now();
  const service::Metrics::Counts counts = bidder_.metrics().Read();
  const Funnel funnel = FunnelOf(counts);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("now_ms");
  WriteMillis(w, now);
  w.Key("ready");
  w.Bool(bidder_.ready());
  w.Key("scope");
  w.String(who.admin ? "admin" : "advertiser");

  w.Key("funnel");
  w.BeginObject();
  const std::pair<std::string_view, uint64_t> stages[] = {
      {"requests", funnel.requests}, {"parsed", funnel.parsed}, {"eligible", funnel.eligible},
      {"bid", funnel.bid},           {"won", funnel.won},       {"billed", funnel.billed},
      {"bids", funnel.bids}};
  for (const auto& [name, n] : stages) {
    w.Key(name);
    w.Int(static_cast<int64_t>(n));
  }
  w.Key("no_bids");
  w.BeginObject();
  for (const auto& [reason, n] : funnel.no_bids) {
    w.Key(reason);
    w.Int(static_cast<int64_t>(n));
  }
  w.EndObject();
  w.EndObject();

  w.Key("latency_ms");
  w.BeginObject();
  uint64_t observed = 0;
  for (uint64_t n : counts.latency_buckets) observed += n;
  w.Key("count");
  w.Int(static_cast<int64_t>(observed));
  const std::pair<std::string_view, double> quantiles[] = {
      {"p50", 0.5}, {"p99", 0.99}, {"p999", 0.999}};
  for (const auto& [name, q] : quantiles) {
    w.Key(name);
    w.Double(HistogramQuantile(counts.latency_buckets, service::Metrics::kLatencyBucketsUs, q) /
             1000.0);
  }
  w.EndObject();

  w.Key("throughput");
  w.BeginObject();
  w.Key("interval_s");
  w.Int(absl::ToInt64Seconds(ThroughputRing::kInterval));
  w.Key("points");
  w.BeginArray();
  for (const RatePoint& p :
       sampler_.Rates({.at = now, .requests = funnel.requests, .requests_with_bid = funnel.bid})) {
    w.BeginObject();
    w.Key("t_ms");
    WriteMillis(w, p.at);
    w.Key("qps");
    w.Double(p.qps);
    w.Key("bid_rate");
    w.Double(p.bid_rate);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  w.Key("privacy");
  w.BeginObject();
  for (size_t r = 0; r < counts.privacy.size(); ++r) {
    w.Key(engine::PrivacyRuleName(static_cast<engine::PrivacyRule>(r)));
    w.Int(static_cast<int64_t>(counts.privacy[r]));
  }
  w.EndObject();

  w.Key("freshness");
  w.BeginObject();
  for (size_t f = 0; f < static_cast<size_t>(service::Bidder::Freshness::kCount); ++f) {
    const auto what = static_cast<service::Bidder::Freshness>(f);
    const bool follow = what == service::Bidder::Freshness::kCatalogFollow ||
                        what == service::Bidder::Freshness::kMarketFollow;
    if (follow && !bidder_.in_fleet()) continue;
    const absl::Time at = bidder_.fresh_at(what);
    w.Key(service::Bidder::FreshnessName(what));
    w.BeginObject();
    // No age before the first publication or follow.
    if (at != absl::InfinitePast()) {
      w.Key("age_s");
      w.Double(std::max(0.0, absl::FDivDuration(now - at, absl::Seconds(1))));
    }
    w.EndObject();
  }
  w.EndObject();

  const money::LeaseKeeper* keeper = bidder_.lease_keeper();
  if (bidder_.in_fleet() && who.admin) {
    // Node-wide: how this node reaches the fleet's Redis and its lease calls.
    const absl::Status health = bidder_.fleet_health();
    w.Key("fleet");
    w.BeginObject();
    w.Key("redis_up");
    w.Bool(health.ok());
    if (!health.ok()) {
      w.Key("reason");
      w.String(View(health.message()));
    }
    if (keeper != nullptr) {
      w.Key("lease_calls");
      w.Int(static_cast<int64_t>(keeper->redis_calls()));
      w.Key("lease_call_failures");
      w.Int(static_cast<int64_t>(keeper->failed_calls()));
      w.Key("leases_closed");
      w.Int(static_cast<int64_t>(keeper->closed_leases()));
    }
    w.EndObject();
  }

  // Only the caller's campaigns: the catalog filters by owner.
  const std::vector<admin::CampaignEntry> entries = catalog_.ListCampaigns(who, "", kMaxCampaigns);
  w.Key("campaigns_total");
  w.Int(static_cast<int64_t>(who.admin ? catalog_.campaign_count() : entries.size()));
  w.Key("clearing_cpm_bounds");
  w.BeginArray();
  for (engine::Micros bound : engine::CampaignAccount::kClearingCpmBuckets) w.Price(bound);
  w.EndArray();
  w.Key("campaigns");
  w.BeginArray();
  for (const admin::CampaignEntry& entry : entries) {
    const engine::Campaign& c = *entry.campaign;
    engine::AccountState state{.day = engine::DayOf(now)};
    uint64_t bids = 0, wins = 0;
    std::array<uint64_t, engine::CampaignAccount::kClearingCpmBuckets.size() + 1> clearing{};
    if (const engine::CampaignAccount* account = bidder_.money().ledger.FindAccount(c.id)) {
      state = account->State(now);
      bids = account->bids.load(std::memory_order_relaxed);
      wins = account->wins.load(std::memory_order_relaxed);
      for (size_t b = 0; b < clearing.size(); ++b) {
        clearing[b] = account->wins_by_cpm[b].load(std::memory_order_relaxed);
      }
    }
    w.BeginObject();
    w.Key("id");
    w.String(c.id);
    w.Key("advertiser");
    w.String(c.advertiser);
    w.Key("bids");
    w.Int(static_cast<int64_t>(bids));
    w.Key("wins");
    w.Int(static_cast<int64_t>(wins));
    w.Key("win_rate");
    w.Double(bids == 0 ? 0.0 : static_cast<double>(wins) / static_cast<double>(bids));
    w.Key("spend_today");
    w.Price(state.daily_settled);
    w.Key("daily_budget");
    w.Price(c.daily_budget);
    w.Key("pacing_rate");
    w.Double(state.pacing_rate);
    if (c.daily_budget > 0) {
      w.Key("planned_now");
      w.Price(
          engine::PacingController::Planned(now, engine::StartOfDay(state.day), c.daily_budget));
    }
    WriteCurve(w, "planned", PlannedCurve(now, c.daily_budget));
    std::vector<SpendPoint> actual = sampler_.Spend(c.id, now);
    actual.emplace_back(now, state.daily_settled);  // the curve ends at this moment
    WriteCurve(w, "actual", actual);
    w.Key("clearing_cpm_wins");
    w.BeginArray();
    for (uint64_t n : clearing) w.Int(static_cast<int64_t>(n));
    w.EndArray();
    if (keeper != nullptr) {
      if (std::optional<money::LeaseKeeper::AccountView> view = keeper->View(c.id)) {
        w.Key("fleet");
        w.BeginObject();
        w.Key("leases");
        w.Int(view->leases);
        w.Key("leased");
        w.Price(view->leased);
        w.Key("settled_today");
        w.Price(view->settled_today);
        w.EndObject();
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return body;
}

}  // namespace vetrina::status
