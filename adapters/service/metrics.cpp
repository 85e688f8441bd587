#include "adapters/service/metrics.h"

#include "base/strings.h"
#include "engine/money/notice_book.h"

namespace vetrina::service {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

void AppendSeconds(int64_t micros, std::string* out) {
  StrAppend(out, micros / 1'000'000, ".");
  std::string frac = std::to_string(micros % 1'000'000);
  out->append(6 - frac.size(), '0');
  out->append(frac);
}

}  // namespace

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

size_t Metrics::StatusIndex(int status) {
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatuses.size() - 1;
}

void Metrics::CountRequest(Endpoint endpoint, int status) {
  requests_[static_cast<size_t>(endpoint)][StatusIndex(status)].fetch_add(1, kRelaxed);
}

void Metrics::CountBid(int bids) { bids_.fetch_add(bids, kRelaxed); }

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
  for (size_t s = 0; s < kStatuses.size(); ++s) {
    const uint64_t n = bid[s].load(kRelaxed);
    c.bid_requests += n;
    if (kStatuses[s] == 200 || kStatuses[s] == 204) c.bid_requests_answered += n;
  }
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

void Metrics::AddSpend(int64_t micros) { spend_micros_.fetch_add(micros, kRelaxed); }

Metrics::Totals Metrics::totals() const {
  Totals t;
  for (const auto& by_status : requests_) {
    for (const std::atomic<uint64_t>& n : by_status) t.requests += n.load(kRelaxed);
  }
  t.bids = bids_.load(kRelaxed);
  for (const std::atomic<uint64_t>& n : no_bids_) t.no_bids += n.load(kRelaxed);
  const auto& wins = notices_[static_cast<size_t>(engine::NoticeKind::kWin)];
  t.wins = wins[static_cast<size_t>(NoticeResult::kCharged)].load(kRelaxed) +
           wins[static_cast<size_t>(NoticeResult::kCounted)].load(kRelaxed);
  t.spend_micros = spend_micros_.load(kRelaxed);
  for (size_t b = 0; b < latency_buckets_.size(); ++b) {
    t.latency_buckets[b] = latency_buckets_[b].load(kRelaxed);
  }
  return t;
}

std::string Metrics::Render(
    const std::vector<std::pair<std::string, const http::ServerStats*>>& servers) const {
  std::string out;
  out.append("# HELP vetrina_requests_total HTTP requests answered by a handler.\n");
  out.append("# TYPE vetrina_requests_total counter\n");
  for (size_t e = 0; e < requests_.size(); ++e) {
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      const uint64_t n = requests_[e][s].load(kRelaxed);
      if (n == 0) continue;
      StrAppend(&out, "vetrina_requests_total{endpoint=\"", EndpointName(static_cast<Endpoint>(e)),
                "\",status=\"");
      if (kStatuses[s] == 0)
        out.append("other");
      else
        StrAppend(&out, kStatuses[s]);
      StrAppend(&out, "\"} ", n, "\n");
    }
  }
  out.append("# HELP vetrina_bids_total Bids made (one per imp won).\n");
  out.append("# TYPE vetrina_bids_total counter\n");
  StrAppend(&out, "vetrina_bids_total ", bids_.load(kRelaxed), "\n");
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
      AppendSeconds(kLatencyBucketsUs[b], &out);
    else
      out.append("+Inf");
    StrAppend(&out, "\"} ", cumulative, "\n");
  }
  out.append("vetrina_bid_latency_seconds_sum ");
  AppendSeconds(static_cast<int64_t>(latency_sum_ns_.load(kRelaxed) / 1000), &out);
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
