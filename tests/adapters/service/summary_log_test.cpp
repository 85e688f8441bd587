#include "adapters/service/summary_log.h"

#include <catch2/catch.hpp>

#include "../../support/log_capture.h"
#include "engine/money/notice_book.h"

namespace vetrina::service {
namespace {

using Buckets = std::array<uint64_t, Metrics::kLatencyBucketsUs.size() + 1>;

TEST_CASE("the summary comes once per interval on the injected clock, with the interval's counts") {
  vetrina::testing::LogCapture log(LogLevel::kInfo);
  Metrics metrics;
  metrics.CountRequest(Endpoint::kBid, 200);  // before the summary starts: not in any interval
  SummaryLog summary(metrics, log.clock());
  for (int i = 0; i < 100; ++i) {
    metrics.CountRequest(Endpoint::kBid, 200);
    metrics.ObserveBidLatency(absl::Microseconds(i < 98 ? 20 : 800));
  }
  metrics.CountBid(60);
  metrics.CountNoBid(engine::NoBidReason::kBelowFloor);
  metrics.CountNotice(static_cast<int>(engine::NoticeKind::kWin), Metrics::NoticeResult::kCharged);
  metrics.AddSpend(static_cast<int>(engine::NoticeKind::kWin), 2'500'000);
  log.clock().Advance(absl::Seconds(59));
  CHECK_FALSE(summary.MaybeLog());
  log.clock().Advance(absl::Seconds(1));
  CHECK(summary.MaybeLog());
  REQUIRE(log.Count("summary") == 1);
  CHECK(log.Lines("summary")[0].find(
            "\"level\":\"info\",\"event\":\"summary\",\"interval_s\":60,\"requests\":100,"
            "\"bids\":60,\"no_bids\":1,\"wins\":1,\"spend\":2.5,\"p99_latency_us\":1000}") !=
        std::string::npos);
  // The next interval starts from zero.
  CHECK_FALSE(summary.MaybeLog());
  log.clock().Advance(absl::Seconds(60));
  CHECK(summary.MaybeLog());
  REQUIRE(log.Count("summary") == 2);
  CHECK(log.Lines("summary")[1].find("\"requests\":0,\"bids\":0,\"no_bids\":0,\"wins\":0,"
                                     "\"spend\":0,\"p99_latency_us\":0}") != std::string::npos);
}

TEST_CASE("the p99 is the upper bound of the bucket holding the 99th percentile") {
  Buckets none{};
  CHECK(SummaryLog::P99BucketUs(none) == 0);
  Buckets all_fast{};
  all_fast[0] = 1000;
  CHECK(SummaryLog::P99BucketUs(all_fast) == 10);
  Buckets tail{};
  tail[1] = 99;  // <= 25 µs
  tail[6] = 1;   // <= 1 ms
  CHECK(SummaryLog::P99BucketUs(tail) == 25);
  tail[6] = 2;  // 99 of 101 is below the 99th percentile
  CHECK(SummaryLog::P99BucketUs(tail) == 1000);
  Buckets slow{};
  slow.back() = 5;
  CHECK(SummaryLog::P99BucketUs(slow) == -1);
}

}  // namespace
}  // namespace vetrina::service
