// The status page's data model, free of I/O: the ring of throughput samples (one per 10 s over
// the last hour), each campaign's spend through the day beside its pacing plan, the request
// funnel and latency quantiles read from the bidder's counters, and which campaigns a caller
// may see.
//
//   ThroughputRing ring;
//   ring.Add({.at = now, .requests = counts.bid_requests, .requests_with_bid = f.bid});
//   for (const RatePoint& p : ring.Rates()) ...
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "adapters/service/metrics.h"
#include "engine/core/money.h"

namespace vetrina::status {

// The bid counters at one moment.
struct CounterSample {
  absl::Time at;
  uint64_t requests = 0;           // bid requests answered
  uint64_t requests_with_bid = 0;  // of them, answered with at least one bid
};

// Throughput between two consecutive samples.
struct RatePoint {
  absl::Time at;        // the later sample's time
  double qps = 0;       // bid requests per second
  double bid_rate = 0;  // share of them answered with a bid, 0..1
};

// The last kCapacity samples, oldest overwritten first. Not thread-safe.
class ThroughputRing {
 public:
  static constexpr size_t kCapacity = 360;  // an hour of 10 s samples
  static constexpr absl::Duration kInterval = absl::Seconds(10);

  void Add(const CounterSample& sample);
  size_t size() const { return size_; }
  // Null when empty.
  const CounterSample* newest() const {
    return size_ == 0 ? nullptr : &samples_[(next_ + kCapacity - 1) % kCapacity];
  }
  // Oldest first; one point fewer than samples. A counter that went backwards (a restart of the
  // source) gives no point.
  std::vector<RatePoint> Rates() const;

 private:
  std::array<CounterSample, kCapacity> samples_{};
  size_t next_ = 0;
  size_t size_ = 0;
};

// A spend curve point: the time and today's spend (or plan) at it, USD micros.
using SpendPoint = std::pair<absl::Time, engine::Micros>;

// Each campaign's spend today, one point per quarter hour (the last sample taken in it).
// Not thread-safe.
class SpendHistory {
 public:
  static constexpr absl::Duration kSlot = absl::Minutes(15);
  static constexpr int kSlotsPerDay = 96;

  void Record(std::string_view campaign_id, absl::Time at, engine::Micros spend_today);
  // The points of the UTC day of `now`, oldest first; none for a campaign never recorded.
  std::vector<SpendPoint> Points(std::string_view campaign_id, absl::Time now) const;
  // Forgets every campaign not in `keep` (deleted ones).
  void Retain(std::span<const std::string> keep);
  size_t campaigns() const { return by_campaign_.size(); }

 private:
  struct Day {
    int64_t day = -1;  // days since the Unix epoch
    std::array<engine::Micros, kSlotsPerDay> spend{};
    std::array<bool, kSlotsPerDay> recorded{};
  };
  absl::flat_hash_map<std::string, Day> by_campaign_;
};

// The pacing plan of a daily budget over the UTC day of `now`: one point per hour from the day's
// start to its end (engine::PacingController::Planned; even pacing plans a straight line, so
// hourly points draw it exactly and keep the answer small).
std::vector<SpendPoint> PlannedCurve(absl::Time now, engine::Micros daily_budget);

// The request funnel from the bidder's counters. Every stage is a count of bid requests but won
// and billed, which count win and billing notices taken (charged or counted, also over budget or
// late: everything but duplicates, refusals and journal failures).
struct Funnel {
  uint64_t requests = 0;  // answered, any status
  uint64_t parsed = 0;    // answered 200 or 204
  uint64_t eligible = 0;  // parsed, and some campaign matched targeting and had a fitting creative
  uint64_t bid = 0;       // answered with a bid
  uint64_t won = 0;
  uint64_t billed = 0;
  uint64_t bids = 0;  // bids made (one per imp)
  // Every no-bid reason with its count, in NoBidReason order.
  std::vector<std::pair<std::string_view, uint64_t>> no_bids;
};
Funnel FunnelOf(const service::Metrics::Counts& counts);

// The `q` quantile (0..1) of a histogram with non-cumulative `buckets` whose upper bounds are
// `bounds` (one bucket more than bounds: the last is unbounded), interpolated linearly inside
// its bucket as Prometheus' histogram_quantile does; 0 for an empty histogram. A quantile in
// the unbounded bucket answers the largest bound.
double HistogramQuantile(std::span<const uint64_t> buckets, std::span<const int64_t> bounds,
                         double q);

}  // namespace vetrina::status
