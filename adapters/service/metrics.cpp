#include "adapters/service/metrics.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "base/build_info.h"
#include "base/strings.h"
#include "engine/money/notice_book.h"

namespace vetrina::service {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// A label value in the text format's escaping: backslash, double quote and line feed.
void AppendLabelValue(std::string_view value, std::string* out) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

void AppendHeader(std::string_view name, std::string_view help, std::string_view type,
                  std::string* out) {
  StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

void AppendDecimalMillionths(int64_t micros, std::string* out) {
  if (micros < 0) {
    out->push_back('-');
    micros = -micros;
  }
  StrAppend(out, micros / 1'000'000, ".");
  std::string frac = std::to_string(micros % 1'000'000);
  out->append(6 - frac.size(), '0');
  out->append(frac);
}

Histogram::Histogram(std::span<const int64_t> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t b = 0; b <= bounds_.size(); ++b) buckets_[b].store(0, kRelaxed);
}

void Histogram::Observe(int64_t millionths) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && millionths > bounds_[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, kRelaxed);
  count_.fetch_add(1, kRelaxed);
  sum_.fetch_add(millionths, kRelaxed);
}

void Histogram::AppendTo(std::string_view name, std::string_view help, std::string* out) const {
  AppendHeader(name, help, "histogram", out);
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= bounds_.size(); ++b) {
    cumulative += buckets_[b].load(kRelaxed);
    StrAppend(out, name, "_bucket{le=\"");
    if (b < bounds_.size())
      AppendDecimalMillionths(bounds_[b], out);
    else
      out->append("+Inf");
    StrAppend(out, "\"} ", cumulative, "\n");
  }
  StrAppend(out, name, "_sum ");
  AppendDecimalMillionths(sum_.load(kRelaxed), out);
  // The +Inf bucket's count, so the two agree even with observations in flight.
  StrAppend(out, "\n", name, "_count ", cumulative, "\n");
}

Histogram MakeFsyncHistogram() {
  static constexpr int64_t kBoundsMicros[] = {50,      100,     250,     500,      1'000,
                                              2'500,   5'000,   10'000,  25'000,   50'000,
                                              100'000, 250'000, 500'000, 1'000'000};
  return Histogram(kBoundsMicros);
}

std::string_view SnapshotName(Snapshot snapshot) {
  switch (snapshot) {
    case Snapshot::kCampaigns:
      return "campaigns";
    case Snapshot::kAudiences:
      return "audiences";
    case Snapshot::kMarket:
      return "market";
    case Snapshot::kCatalogFollow:
      return "fleet_catalog_follow";
    case Snapshot::kMarketFollow:
      return "fleet_market_follow";
    case Snapshot::kCount:
      break;
  }
  return "other";
}

std::string_view EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kBid:
      return "bid";
    case Endpoint::kPixel:
      return "pixel";
    case Endpoint::kNotice:
      return "notice";
    case Endpoint::kHealthz:
      return "healthz";
    case Endpoint::kReadyz:
      return "readyz";
    case Endpoint::kMetrics:
      return "metrics";
    case Endpoint::kAdminApi:
      return "admin_api";
    case Endpoint::kOther:
      return "other";
    case Endpoint::kCount:
      break;
  }
  return "other";
}

size_t Metrics::CodeSlot(int status) {
  return status >= kFirstCode && status < kFirstCode + static_cast<int>(kCodeSlots) - 1
             ? static_cast<size_t>(status - kFirstCode)
             : kCodeSlots - 1;
}

void Metrics::CountRequest(Endpoint endpoint, int status) {
  requests_[static_cast<size_t>(endpoint)][CodeSlot(status)].fetch_add(1, kRelaxed);
}

void Metrics::CountBid(int bids) { bids_.fetch_add(bids, kRelaxed); }

uint64_t Metrics::requests(Endpoint endpoint, int status) const {
  return requests_[static_cast<size_t>(endpoint)][CodeSlot(status)].load(kRelaxed);
}

uint64_t Metrics::bids() const { return bids_.load(kRelaxed); }

int64_t Metrics::spend_micros(int kind) const {
  if (kind < 0 || static_cast<size_t>(kind) >= kNoticeKinds) return 0;
  return spend_micros_[kind].load(kRelaxed);
}

void Metrics::ObserveBidPrice(int64_t cpm_micros) { bid_price_.Observe(cpm_micros); }

void Metrics::CountRequestedImp(const engine::Imp& imp) {
  if (imp.banner) imps_by_media_[0].fetch_add(1, kRelaxed);
  if (imp.video) imps_by_media_[1].fetch_add(1, kRelaxed);
  if (imp.native) imps_by_media_[2].fetch_add(1, kRelaxed);
  if (imp.audio) imps_by_media_[3].fetch_add(1, kRelaxed);
}

void Metrics::AddSpend(int kind, int64_t micros) {
  if (kind < 0 || static_cast<size_t>(kind) >= kNoticeKinds || micros <= 0) return;
  spend_micros_[kind].fetch_add(micros, kRelaxed);
}

void Metrics::MarkPublished(Snapshot snapshot, absl::Time at) {
  published_unix_ns_[static_cast<size_t>(snapshot)].store(absl::ToUnixNanos(at), kRelaxed);
}

absl::Time Metrics::published_at(Snapshot snapshot) const {
  const int64_t ns = published_unix_ns_[static_cast<size_t>(snapshot)].load(kRelaxed);
  return ns == 0 ? absl::InfinitePast() : absl::FromUnixNanos(ns);
}

void AppendCatalogGauges(const engine::CampaignSet& campaigns, std::string* out) {
  uint64_t creatives = 0;
  absl::flat_hash_set<std::string_view> advertisers;
  campaigns.ForEachCampaign([&](const engine::Campaign& c) {
    creatives += c.creatives.size();
    advertisers.insert(c.advertiser);
    return true;
  });
  AppendHeader("vetrina_catalog_campaigns", "Live campaigns in the published campaign snapshot.",
               "gauge", out);
  StrAppend(out, "vetrina_catalog_campaigns ", campaigns.size(), "\n");
  AppendHeader("vetrina_catalog_creatives", "Creatives of the published snapshot's campaigns.",
               "gauge", out);
  StrAppend(out, "vetrina_catalog_creatives ", creatives, "\n");
  AppendHeader("vetrina_catalog_advertisers",
               "Advertisers with a campaign in the published snapshot.", "gauge", out);
  StrAppend(out, "vetrina_catalog_advertisers ", advertisers.size(), "\n");
}

void Metrics::AppendSnapshotGauges(absl::Time now, std::string* out) const {
  AppendHeader("vetrina_snapshot_age_seconds",
               "Time since each snapshot the bid path reads was last published.", "gauge", out);
  for (size_t s = 0; s < published_unix_ns_.size(); ++s) {
    const int64_t published = published_unix_ns_[s].load(kRelaxed);
    if (published == 0) continue;  // never published
    const int64_t age_us =
        std::max<int64_t>(0, absl::ToInt64Microseconds(now - absl::FromUnixNanos(published)));
    StrAppend(out, "vetrina_snapshot_age_seconds{snapshot=\"",
              SnapshotName(static_cast<Snapshot>(s)), "\"} ");
    AppendDecimalMillionths(age_us, out);
    out->push_back('\n');
  }
}

void Metrics::CountNoBid(engine::NoBidReason reason) {
  no_bids_[static_cast<size_t>(reason)].fetch_add(1, kRelaxed);
}

void Metrics::CountPixel(PixelResult result) {
  pixels_[static_cast<size_t>(result)].fetch_add(1, kRelaxed);
}

void Metrics::CountNotice(int kind, NoticeResult result) {
  if (kind < 0 || static_cast<size_t>(kind) >= kNoticeKinds) return;
  notices_[kind][static_cast<size_t>(result)].fetch_add(1, kRelaxed);
}

void Metrics::CountPrivacy(uint32_t rules) {
  for (size_t r = 0; r < privacy_.size(); ++r) {
    if (rules & (1u << r)) privacy_[r].fetch_add(1, kRelaxed);
  }
}

void Metrics::CountDroppedImps(ImpDropReason reason, uint64_t imps) {
  if (imps > 0) dropped_imps_[static_cast<size_t>(reason)].fetch_add(imps, kRelaxed);
}

void Metrics::CountIgnoredExts(uint64_t exts) {
  if (exts > 0) ignored_exts_.fetch_add(exts, kRelaxed);
}

void Metrics::ObserveBidLatency(absl::Duration latency) {
  const int64_t ns = absl::ToInt64Nanoseconds(latency);
  size_t bucket = 0;
  while (bucket < kLatencyBucketsUs.size() && ns > kLatencyBucketsUs[bucket] * 1000) ++bucket;
  latency_buckets_[bucket].fetch_add(1, kRelaxed);
  latency_count_.fetch_add(1, kRelaxed);
  latency_sum_ns_.fetch_add(static_cast<uint64_t>(ns > 0 ? ns : 0), kRelaxed);
}

Metrics::Counts Metrics::Read() const {
  Counts c;
  const auto& bid = requests_[static_cast<size_t>(Endpoint::kBid)];
  for (const std::atomic<uint64_t>& n : bid) c.bid_requests += n.load(kRelaxed);
  c.bid_requests_answered = bid[CodeSlot(200)].load(kRelaxed) + bid[CodeSlot(204)].load(kRelaxed);
  c.bids = bids_.load(kRelaxed);
  for (size_t r = 0; r < no_bids_.size(); ++r) c.no_bids[r] = no_bids_[r].load(kRelaxed);
  for (size_t b = 0; b < latency_buckets_.size(); ++b) {
    c.latency_buckets[b] = latency_buckets_[b].load(kRelaxed);
  }
  for (size_t r = 0; r < privacy_.size(); ++r) c.privacy[r] = privacy_[r].load(kRelaxed);
  for (size_t k = 0; k < kNoticeKinds; ++k) {
    for (size_t r = 0; r < notices_[k].size(); ++r) c.notices[k][r] = notices_[k][r].load(kRelaxed);
  }
  return c;
}

Metrics::Totals Metrics::totals() const {
  const Counts c = Read();
  Totals t;
  for (const auto& by_code : requests_) {
    for (const std::atomic<uint64_t>& n : by_code) t.requests += n.load(kRelaxed);
  }
  t.bids = c.bids;
  for (uint64_t n : c.no_bids) t.no_bids += n;
  const auto& wins = c.notices[static_cast<size_t>(engine::NoticeKind::kWin)];
  t.wins = wins[static_cast<size_t>(NoticeResult::kCharged)] +
           wins[static_cast<size_t>(NoticeResult::kCounted)];
  for (const std::atomic<int64_t>& micros : spend_micros_) t.spend_micros += micros.load(kRelaxed);
  t.latency_buckets = c.latency_buckets;
  return t;
}

std::string Metrics::Render(
    const std::vector<std::pair<std::string, const http::ServerStats*>>& servers) const {
  std::string out;
  const BuildInfo& build = GetBuildInfo();
  AppendHeader("vetrina_build_info",
               "Always 1: the version, commit and build type of this binary in its labels.",
               "gauge", &out);
  out.append("vetrina_build_info{version=\"");
  AppendLabelValue(build.version, &out);
  out.append("\",commit=\"");
  AppendLabelValue(build.commit, &out);
  out.append("\",build_type=\"");
  AppendLabelValue(build.build_type, &out);
  out.append("\"} 1\n");

  AppendHeader("vetrina_requests_total", "HTTP requests answered by a handler, by status code.",
               "counter", &out);
  for (size_t e = 0; e < requests_.size(); ++e) {
    for (size_t slot = 0; slot < kCodeSlots; ++slot) {
      const uint64_t n = requests_[e][slot].load(kRelaxed);
      if (n == 0) continue;
      StrAppend(&out, "vetrina_requests_total{endpoint=\"", EndpointName(static_cast<Endpoint>(e)),
                "\",code=\"");
      if (slot == kCodeSlots - 1)
        out.append("other");
      else
        StrAppend(&out, kFirstCode + static_cast<int>(slot));
      StrAppend(&out, "\"} ", n, "\n");
    }
  }
  out.append("# HELP vetrina_bids_total Bids made (one per imp won).\n");
  out.append("# TYPE vetrina_bids_total counter\n");
  StrAppend(&out, "vetrina_bids_total ", bids_.load(kRelaxed), "\n");
  bid_price_.AppendTo("vetrina_bid_price_cpm",
                      "The price of each bid returned, in USD per thousand impressions.", &out);
  AppendHeader("vetrina_bid_requests_by_media_total",
               "Imps of parsed bid requests, once per media type each offers.", "counter", &out);
  static constexpr std::string_view kMedia[] = {"banner", "video", "native", "audio"};
  for (size_t m = 0; m < imps_by_media_.size(); ++m) {
    StrAppend(&out, "vetrina_bid_requests_by_media_total{media=\"", kMedia[m], "\"} ",
              imps_by_media_[m].load(kRelaxed), "\n");
  }
  out.append("# HELP vetrina_no_bids_total Bid requests answered 204, by the closest reason.\n");
  out.append("# TYPE vetrina_no_bids_total counter\n");
  for (size_t r = 1; r < no_bids_.size(); ++r) {
    StrAppend(&out, "vetrina_no_bids_total{reason=\"",
              engine::NoBidReasonName(static_cast<engine::NoBidReason>(r)), "\"} ",
              no_bids_[r].load(kRelaxed), "\n");
  }
  out.append(
      "# HELP vetrina_bid_latency_seconds Time from the request's first bytes reaching the host "
      "(kernel receive time) to its response being ready.\n");
  out.append("# TYPE vetrina_bid_latency_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t b = 0; b < latency_buckets_.size(); ++b) {
    cumulative += latency_buckets_[b].load(kRelaxed);
    out.append("vetrina_bid_latency_seconds_bucket{le=\"");
    if (b < kLatencyBucketsUs.size())
      AppendDecimalMillionths(kLatencyBucketsUs[b], &out);
    else
      out.append("+Inf");
    StrAppend(&out, "\"} ", cumulative, "\n");
  }
  out.append("vetrina_bid_latency_seconds_sum ");
  AppendDecimalMillionths(static_cast<int64_t>(latency_sum_ns_.load(kRelaxed) / 1000), &out);
  StrAppend(&out, "\nvetrina_bid_latency_seconds_count ", latency_count_.load(kRelaxed), "\n");

  out.append(
      "# HELP vetrina_pixel_events_total Pixel events by outcome; only accepted ones count.\n");
  out.append("# TYPE vetrina_pixel_events_total counter\n");
  static constexpr std::string_view kPixelResults[] = {
      "accepted", "malformed", "unknown_advertiser", "dropped", "restricted"};
  for (size_t i = 0; i < pixels_.size(); ++i) {
    StrAppend(&out, "vetrina_pixel_events_total{result=\"", kPixelResults[i], "\"} ",
              pixels_[i].load(kRelaxed), "\n");
  }

  out.append(
      "# HELP vetrina_privacy_restricted_total Bid requests a privacy rule restricted, by rule.\n");
  out.append("# TYPE vetrina_privacy_restricted_total counter\n");
  for (size_t r = 0; r < privacy_.size(); ++r) {
    StrAppend(&out, "vetrina_privacy_restricted_total{rule=\"",
              engine::PrivacyRuleName(static_cast<engine::PrivacyRule>(r)), "\"} ",
              privacy_[r].load(kRelaxed), "\n");
  }
  out.append(
      "# HELP vetrina_imps_dropped_total Imps of answered bid requests left out, by reason: "
      "malformed or incomplete (the parser dropped them), over_limit (past the per-request "
      "imp limit).\n");
  out.append("# TYPE vetrina_imps_dropped_total counter\n");
  static constexpr std::string_view kImpDropReasons[] = {"malformed", "incomplete", "over_limit"};
  for (size_t r = 0; r < dropped_imps_.size(); ++r) {
    StrAppend(&out, "vetrina_imps_dropped_total{reason=\"", kImpDropReasons[r], "\"} ",
              dropped_imps_[r].load(kRelaxed), "\n");
  }
  out.append(
      "# HELP vetrina_request_ext_ignored_total Bid request ext members that were not objects, "
      "skipped.\n");
  out.append("# TYPE vetrina_request_ext_ignored_total counter\n");
  StrAppend(&out, "vetrina_request_ext_ignored_total ", ignored_exts_.load(kRelaxed), "\n");
  out.append("# HELP vetrina_notices_total Win, bill, loss, impression and click notices.\n");
  out.append("# TYPE vetrina_notices_total counter\n");
  static constexpr std::string_view kNoticeKindNames[] = {"win", "bill", "loss", "imp", "click"};
  static constexpr std::string_view kNoticeResults[] = {
      "charged", "counted", "duplicate", "over_budget", "late", "rejected", "failed"};
  for (size_t k = 0; k < kNoticeKinds; ++k) {
    for (size_t r = 0; r < notices_[k].size(); ++r) {
      const uint64_t n = notices_[k][r].load(kRelaxed);
      if (n == 0) continue;
      StrAppend(&out, "vetrina_notices_total{kind=\"", kNoticeKindNames[k], "\",result=\"",
                kNoticeResults[r], "\"} ", n, "\n");
    }
  }
  AppendHeader("vetrina_spend_usd_total",
               "USD charged to campaigns by the notices this node received, by notice kind.",
               "counter", &out);
  for (size_t k = 0; k < kNoticeKinds; ++k) {
    StrAppend(&out, "vetrina_spend_usd_total{kind=\"", kNoticeKindNames[k], "\"} ");
    AppendDecimalMillionths(spend_micros_[k].load(kRelaxed), &out);
    out.push_back('\n');
  }

  struct Gauge {
    std::string_view name;
    std::string_view help;
    std::atomic<int64_t> http::ServerStats::*field;
    bool counter;
  };
  static constexpr Gauge kServerCounters[] = {
      {"vetrina_connections_accepted_total", "Connections accepted.",
       &http::ServerStats::connections_accepted, true},
      {"vetrina_connections_rejected_total", "Connections refused with 503 (over the limit).",
       &http::ServerStats::connections_rejected, true},
      {"vetrina_connections_open", "Connections open now.", &http::ServerStats::connections_open,
       false},
      {"vetrina_http_timeouts_total", "Connections closed by the read or idle timeout.",
       &http::ServerStats::timeouts, true},
      {"vetrina_http_bad_requests_total",
       "Malformed HTTP or gzip, or a missing or repeated Host, answered 400 by the server.",
       &http::ServerStats::bad_requests, true},
      {"vetrina_http_too_large_total", "Requests answered 413 or 431 by the server.",
       &http::ServerStats::too_large, true},
      {"vetrina_http_unsupported_encoding_total",
       "Requests answered 415 (Content-Encoding) or 501 (Transfer-Encoding) by the server.",
       &http::ServerStats::unsupported_media, true},
  };
  for (const Gauge& g : kServerCounters) {
    StrAppend(&out, "# HELP ", g.name, " ", g.help, "\n# TYPE ", g.name,
              g.counter ? " counter\n" : " gauge\n");
    for (const auto& [listener, stats] : servers) {
      StrAppend(&out, g.name, "{listener=\"", listener, "\"} ", (stats->*g.field).load(kRelaxed),
                "\n");
    }
  }
  return out;
}

}  // namespace vetrina::service
