#include "adapters/service/summary_log.h"

#include "base/log.h"

namespace vetrina::service {

SummaryLog::SummaryLog(const Metrics& metrics, const Clock& clock, absl::Duration interval)
    : metrics_(metrics),
      clock_(clock),
      interval_(interval),
      last_(clock.Now()),
      previous_(metrics.totals()) {}

SummaryLog::~SummaryLog() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void SummaryLog::Start() {
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) MaybeLog();
  });
}

int64_t SummaryLog::P99BucketUs(
    const std::array<uint64_t, Metrics::kLatencyBucketsUs.size() + 1>& buckets) {
  uint64_t count = 0;
  for (uint64_t n : buckets) count += n;
  if (count == 0) return 0;
  // The smallest bucket whose cumulative count reaches 99% of all (rounded up).
  const uint64_t rank = (count * 99 + 99) / 100;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < Metrics::kLatencyBucketsUs.size(); ++b) {
    cumulative += buckets[b];
    if (cumulative >= rank) return Metrics::kLatencyBucketsUs[b];
  }
  return -1;
}

bool SummaryLog::MaybeLog() {
  const absl::Time now = clock_.Now();
  if (now - last_ < interval_) return false;
  const Metrics::Totals totals = metrics_.totals();
  std::array<uint64_t, Metrics::kLatencyBucketsUs.size() + 1> latency{};
  for (size_t b = 0; b < latency.size(); ++b) {
    latency[b] = totals.latency_buckets[b] - previous_.latency_buckets[b];
  }
  LogInfo("summary")
      .Int("interval_s", absl::ToInt64Seconds(now - last_))
      .Int("requests", static_cast<int64_t>(totals.requests - previous_.requests))
      .Int("bids", static_cast<int64_t>(totals.bids - previous_.bids))
      .Int("no_bids", static_cast<int64_t>(totals.no_bids - previous_.no_bids))
      .Int("wins", static_cast<int64_t>(totals.wins - previous_.wins))
      .Money("spend", totals.spend_micros - previous_.spend_micros)
      .Int("p99_latency_us", P99BucketUs(latency));
  previous_ = totals;
  last_ = now;
  return true;
}

}  // namespace vetrina::service
