// The bidder's counters and latency histogram, rendered in the Prometheus text format for
// /metrics. Thread-safe: every update is a relaxed atomic increment; rendering reads a
// moment-in-time view that may mix updates in flight, as Prometheus scrapes expect.
//
//   metrics.CountRequest(Endpoint::kBid, 204);
//   metrics.CountNoBid(engine::NoBidReason::kBelowFloor);
//   metrics.ObserveBidLatency(absl::Microseconds(42));
//   std::string page = metrics.Render({&public_server->stats()});
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "adapters/http/server.h"
#include "engine/core/no_bid_reason.h"
#include "engine/privacy/privacy.h"

namespace vetrina::service {

enum class Endpoint : uint8_t {
  kBid,
  kPixel,
  kNotice,
  kHealthz,
  kReadyz,
  kMetrics,
  kAdminApi,
  kOther,
  kCount
};
std::string_view EndpointName(Endpoint endpoint);

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in microseconds.
  static constexpr std::array<int64_t, 12> kLatencyBucketsUs = {
      10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 50'000, 100'000};

  void CountRequest(Endpoint endpoint, int status);
  void CountBid(int bids);
  void CountNoBid(engine::NoBidReason reason);
  void ObserveBidLatency(absl::Duration latency);
  enum class PixelResult : uint8_t {
    kAccepted,
    kMalformed,
    kUnknownAdvertiser,
    kDropped,
    kRestricted,  // the user's privacy signals forbid audience building
    kCount
  };
  void CountPixel(PixelResult result);
  // Notices by kind (engine::NoticeKind) and outcome.
  enum class NoticeResult : uint8_t {
    kCharged,     // money moved
    kCounted,     // counted, no money (loss, impression, CPC win, CPM click)
    kDuplicate,   // already counted for this bid
    kOverBudget,  // a bid without a reservation the budget could not take
    kLate,        // a fleet notice logged after its lease stopped holding money for it
    kRejected,    // bad token, expired, price above the bid, malformed
    kFailed,      // the spend journal failed
    kCount
  };
  void CountNotice(int kind, NoticeResult result);
  // Bid requests a privacy rule restricted: one count per rule that applied
  // (engine::PrivacyDecision::rules bits).
  void CountPrivacy(uint32_t rules);
  // Imps of answered bid requests left out: broken ones the parser dropped, and those past the
  // per-request imp limit.
  enum class ImpDropReason : uint8_t {
    kMalformed,   // openrtb::ImpDropReason::kMalformed
    kIncomplete,  // openrtb::ImpDropReason::kIncomplete
    kOverLimit,   // past BidPipelineConfig::max_imps_per_request
    kCount
  };
  void CountDroppedImps(ImpDropReason reason, uint64_t imps);
  // `ext` members of the wrong type the parser skipped.
  void CountIgnoredExts(uint64_t exts);

  static constexpr size_t kNoticeKinds = 5;  // engine::NoticeKind
  // The counters the status page reads, loaded at one moment as Render loads them.
  struct Counts {
    uint64_t bid_requests = 0;           // answered, every status
    uint64_t bid_requests_answered = 0;  // answered 200 or 204 (not refused as malformed)
    uint64_t bids = 0;
    std::array<uint64_t, static_cast<size_t>(engine::NoBidReason::kCount)> no_bids{};
    std::array<uint64_t, kLatencyBucketsUs.size() + 1> latency_buckets{};  // not cumulative
    std::array<uint64_t, static_cast<size_t>(engine::PrivacyRule::kCount)> privacy{};
    std::array<std::array<uint64_t, static_cast<size_t>(NoticeResult::kCount)>, kNoticeKinds>
        notices{};
  };
  Counts Read() const;
  // Money notices charged, in micros.
  void AddSpend(int64_t micros);
  // Running totals since start, for the periodic log summary (adapters/service/summary_log.h).
  struct Totals {
    uint64_t requests = 0;  // every endpoint
    uint64_t bids = 0;
    uint64_t no_bids = 0;
    uint64_t wins = 0;  // win notices counted or charged
    int64_t spend_micros = 0;
    std::array<uint64_t, kLatencyBucketsUs.size() + 1> latency_buckets{};  // the last: above
  };
  Totals totals() const;

  // `servers`: (listener name, its stats) pairs whose connection counters are rendered too.
  std::string Render(
      const std::vector<std::pair<std::string, const http::ServerStats*>>& servers) const;

 private:
  // Status codes we answer; anything else is counted as "other".
  static constexpr std::array<int, 16> kStatuses = {200, 204, 302, 400, 401, 403, 404, 405,
                                                    409, 413, 415, 429, 431, 500, 503, 0};
  static size_t StatusIndex(int status);

  std::array<std::array<std::atomic<uint64_t>, kStatuses.size()>,
             static_cast<size_t>(Endpoint::kCount)>
      requests_{};
  std::atomic<uint64_t> bids_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(engine::NoBidReason::kCount)> no_bids_{};
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_count_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(PixelResult::kCount)> pixels_{};
  std::atomic<uint64_t> latency_sum_ns_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(engine::PrivacyRule::kCount)> privacy_{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(ImpDropReason::kCount)> dropped_imps_{};
  std::atomic<uint64_t> ignored_exts_{0};
  std::atomic<int64_t> spend_micros_{0};
  std::array<std::array<std::atomic<uint64_t>, static_cast<size_t>(NoticeResult::kCount)>,
             kNoticeKinds>
      notices_{};
};

}  // namespace vetrina::service
