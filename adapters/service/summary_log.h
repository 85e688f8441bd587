// The periodic "summary" log line: requests, bids, no-bids, wins, spend and the bid latency's
// p99 over the last interval, from the Metrics counters (docs/operations.md, "Logs").
//
//   SummaryLog summary(bidder.metrics(), clock);
//   summary.Start();  // a line every 60 s until destroyed
#pragma once

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/service/metrics.h"
#include "base/clock.h"

namespace vetrina::service {

// MaybeLog is not thread-safe: called by the thread Start runs, or by a test without it.
class SummaryLog {
 public:
  static constexpr absl::Duration kDefaultInterval = absl::Seconds(60);

  SummaryLog(const Metrics& metrics, const Clock& clock,
             absl::Duration interval = kDefaultInterval);
  ~SummaryLog();
  SummaryLog(const SummaryLog&) = delete;
  SummaryLog& operator=(const SummaryLog&) = delete;

  // Logs the interval's summary once `interval` has passed on the clock since the last line (or
  // construction); returns whether it did.
  bool MaybeLog();
  // Checks every second on a thread of its own, until destroyed.
  void Start();

  // The upper bound (µs) of the latency bucket holding the 99th percentile of the observations
  // counted in `buckets`; 0 when there are none, -1 when it is above the last bucket.
  static int64_t P99BucketUs(
      const std::array<uint64_t, Metrics::kLatencyBucketsUs.size() + 1>& buckets);

 private:
  const Metrics& metrics_;
  const Clock& clock_;
  const absl::Duration interval_;
  absl::Time last_;
  Metrics::Totals previous_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace vetrina::service
