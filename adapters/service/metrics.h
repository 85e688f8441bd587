// The bidder's counters and latency histogram, rendered in the Prometheus text format for
// /metrics. Thread-safe: every update is a relaxed atomic increment; rendering reads a
// moment-in-time view that may mix updates in flight, as Prometheus scrapes expect.
//
//   metrics.CountRequest(Endpoint::kBid, 204);
//   metrics.CountNoBid(engine::NoBidReason::kBelowFloor);
//   metrics.ObserveBidLatency(absl::Microseconds(42));
//   std::string page = metrics.Render({{"public", &public_server->stats()}});
//   metrics.AppendSnapshotGauges(clock.Now(), &page);
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "adapters/http/server.h"
#include "engine/core/bid_request.h"
#include "engine/core/no_bid_reason.h"
#include "engine/privacy/privacy.h"
#include "engine/targeting/campaign_set.h"

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

// Appends `millionths` / 10^6 as a decimal with six places: 1500000 is "1.500000".
void AppendDecimalMillionths(int64_t millionths, std::string* out);

// A Prometheus histogram over fixed upper bounds, counted in millionths of the unit it renders
// in (microseconds of a `_seconds` histogram, micros of a USD price). Observe is a few relaxed
// atomic adds; rendering may mix observations in flight.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds in millionths, increasing.
  explicit Histogram(std::span<const int64_t> bounds);

  void Observe(int64_t millionths);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // HELP, TYPE, the cumulative buckets (and +Inf), _sum and _count.
  void AppendTo(std::string_view name, std::string_view help, std::string* out) const;

 private:
  const std::vector<int64_t> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_{0};
};

// Journal fsync and fdatasync latency, 50 µs to 1 s: what a notice or an audience update waits
// for before it is acknowledged.
Histogram MakeFsyncHistogram();
inline constexpr std::string_view kFsyncMetric = "vetrina_fsync_seconds";
inline constexpr std::string_view kFsyncHelp =
    "Time each fsync or fdatasync of a local journal (spend, audiences, catalog) took.";

// The snapshots the bid path reads, each republished on change.
// What the bid path reads, and a fleet node's last successful follow of each shared log: the
// ages /metrics and the status page show.
enum class Snapshot : uint8_t {
  kCampaigns,
  kAudiences,
  kMarket,
  kCatalogFollow,
  kMarketFollow,
  kCount
};
std::string_view SnapshotName(Snapshot snapshot);

// The size of the published campaign snapshot: campaigns, their creatives and advertisers.
// Walks every campaign: for a scrape, not the bid path.
void AppendCatalogGauges(const engine::CampaignSet& campaigns, std::string* out);

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in microseconds.
  static constexpr std::array<int64_t, 12> kLatencyBucketsUs = {
      10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 50'000, 100'000};

  // Upper bounds of the bid price histogram's buckets, in USD CPM micros.
  static constexpr std::array<int64_t, 15> kBidPriceBucketsMicros = {
      100'000,   250'000,   500'000,    750'000,    1'000'000,  1'500'000,  2'000'000, 3'000'000,
      5'000'000, 7'500'000, 10'000'000, 15'000'000, 20'000'000, 30'000'000, 50'000'000};

  // Any status code: 100..599 each count under their own code, anything else as "other".
  void CountRequest(Endpoint endpoint, int status);
  void CountBid(int bids);
  // One bid of a response, at the price it bids (USD CPM micros).
  void ObserveBidPrice(int64_t cpm_micros);
  // One imp of a parsed bid request: once per media type it offers.
  void CountRequestedImp(const engine::Imp& imp);
  // USD micros a notice of `kind` (engine::NoticeKind) charged.
  void AddSpend(int kind, int64_t micros);
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
  // What /metrics shows, for other pages that must agree with it.
  uint64_t requests(Endpoint endpoint, int status) const;
  uint64_t bids() const;
  const Histogram& bid_price() const { return bid_price_; }
  int64_t spend_micros(int kind) const;

  // A snapshot published at `at` (the injected clock's time).
  void MarkPublished(Snapshot snapshot, absl::Time at);
  // InfinitePast when never marked.
  absl::Time published_at(Snapshot snapshot) const;

  // `servers`: (listener name, its stats) pairs whose connection counters are rendered too.
  std::string Render(
      const std::vector<std::pair<std::string, const http::ServerStats*>>& servers) const;
  // Each published snapshot's age at `now`.
  void AppendSnapshotGauges(absl::Time now, std::string* out) const;

 private:
  // Codes 100..599 by code - 100; the last slot counts anything else.
  static constexpr int kFirstCode = 100;
  static constexpr size_t kCodeSlots = 501;
  static size_t CodeSlot(int status);

  std::array<std::array<std::atomic<uint64_t>, kCodeSlots>, static_cast<size_t>(Endpoint::kCount)>
      requests_{};
  std::array<std::atomic<uint64_t>, 4> imps_by_media_{};  // banner, video, native, audio
  Histogram bid_price_{kBidPriceBucketsMicros};
  std::array<std::atomic<int64_t>, static_cast<size_t>(Snapshot::kCount)> published_unix_ns_{};
  std::atomic<uint64_t> bids_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(engine::NoBidReason::kCount)> no_bids_{};
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_count_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(PixelResult::kCount)> pixels_{};
  std::atomic<uint64_t> latency_sum_ns_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(engine::PrivacyRule::kCount)> privacy_{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(ImpDropReason::kCount)> dropped_imps_{};
  std::atomic<uint64_t> ignored_exts_{0};
  std::array<std::array<std::atomic<uint64_t>, static_cast<size_t>(NoticeResult::kCount)>,
             kNoticeKinds>
      notices_{};
  std::array<std::atomic<int64_t>, kNoticeKinds> spend_micros_{};
};

}  // namespace vetrina::service
