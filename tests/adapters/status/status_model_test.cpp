#include "adapters/status/status_model.h"

#include <catch2/catch.hpp>

#include "engine/money/budget.h"
#include "engine/money/notice_book.h"

namespace vetrina::status {
namespace {

const absl::Time kMidnight = absl::FromUnixSeconds(1'764'633'600);  // 2025-12-02 00:00 UTC

CounterSample Sample(int seconds, uint64_t requests, uint64_t with_bid) {
  return {.at = kMidnight + absl::Seconds(seconds),
          .requests = requests,
          .requests_with_bid = with_bid};
}

TEST_CASE("the throughput ring turns consecutive samples into rates") {
  ThroughputRing ring;
  CHECK(ring.Rates().empty());
  ring.Add(Sample(0, 0, 0));
  CHECK(ring.Rates().empty());  // one sample: no interval yet
  ring.Add(Sample(10, 1000, 250));
  ring.Add(Sample(20, 1500, 250));
  const std::vector<RatePoint> rates = ring.Rates();
  REQUIRE(rates.size() == 2);
  CHECK(rates[0].at == kMidnight + absl::Seconds(10));
  CHECK(rates[0].qps == Approx(100.0));
  CHECK(rates[0].bid_rate == Approx(0.25));
  CHECK(rates[1].qps == Approx(50.0));
  CHECK(rates[1].bid_rate == Approx(0.0));
}

TEST_CASE("the throughput ring keeps the last hour and overwrites the oldest sample") {
  ThroughputRing ring;
  for (int i = 0; i < static_cast<int>(ThroughputRing::kCapacity) + 5; ++i) {
    ring.Add(Sample(i * 10, static_cast<uint64_t>(i) * 100, 0));
  }
  CHECK(ring.size() == ThroughputRing::kCapacity);
  const std::vector<RatePoint> rates = ring.Rates();
  REQUIRE(rates.size() == ThroughputRing::kCapacity - 1);
  CHECK(rates.front().at == kMidnight + absl::Seconds(10 * 6));  // samples 0..4 are gone
  CHECK(rates.back().at == kMidnight + absl::Seconds(10 * (ThroughputRing::kCapacity + 4)));
  for (const RatePoint& p : rates) CHECK(p.qps == Approx(10.0));
  CHECK(ring.newest()->at == rates.back().at);
}

TEST_CASE("a counter that went backwards gives no rate point") {
  ThroughputRing ring;
  ring.Add(Sample(0, 500, 10));
  ring.Add(Sample(10, 100, 5));  // the source restarted
  ring.Add(Sample(20, 200, 6));
  const std::vector<RatePoint> rates = ring.Rates();
  REQUIRE(rates.size() == 1);
  CHECK(rates[0].qps == Approx(10.0));
}

TEST_CASE("spend history keeps the last sample of each quarter hour of today") {
  SpendHistory history;
  history.Record("c1", kMidnight + absl::Minutes(1), 100);
  history.Record("c1", kMidnight + absl::Minutes(14), 300);  // same slot: replaces
  history.Record("c1", kMidnight + absl::Minutes(20), 500);
  const absl::Time now = kMidnight + absl::Minutes(21);
  const std::vector<SpendPoint> points = history.Points("c1", now);
  REQUIRE(points.size() == 2);
  CHECK(points[0] == SpendPoint{kMidnight, 300});
  CHECK(points[1] == SpendPoint{kMidnight + absl::Minutes(15), 500});
  CHECK(history.Points("other", now).empty());
  // A new day starts a new curve.
  CHECK(history.Points("c1", kMidnight + absl::Hours(25)).empty());
  history.Record("c1", kMidnight + absl::Hours(25), 7);
  CHECK(history.Points("c1", kMidnight + absl::Hours(25)).size() == 1);
}

TEST_CASE("spend history forgets campaigns no longer listed") {
  SpendHistory history;
  history.Record("keep", kMidnight, 1);
  history.Record("gone", kMidnight, 1);
  const std::vector<std::string> keep = {"keep"};
  history.Retain(keep);
  CHECK(history.campaigns() == 1);
  CHECK(history.Points("gone", kMidnight).empty());
  CHECK(history.Points("keep", kMidnight).size() == 1);
}

TEST_CASE("the planned curve follows the even pacing plan over the whole day") {
  const std::vector<SpendPoint> plan =
      PlannedCurve(kMidnight + absl::Hours(6), 96 * engine::kMicrosPerUnit);
  REQUIRE(plan.size() == 25);  // every hour, both ends included
  CHECK(plan.front() == SpendPoint{kMidnight, 0});
  CHECK(plan[12] == SpendPoint{kMidnight + absl::Hours(12), 48 * engine::kMicrosPerUnit});
  CHECK(plan.back() == SpendPoint{kMidnight + absl::Hours(24), 96 * engine::kMicrosPerUnit});
  CHECK(PlannedCurve(kMidnight, 0).empty());  // no daily budget, no plan
}

TEST_CASE("the funnel narrows from requests to billed notices") {
  using R = service::Metrics::NoticeResult;
  service::Metrics::Counts c;
  c.bid_requests = 100;
  c.bid_requests_answered = 90;  // 10 malformed
  c.bids = 25;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kTargetingCountry)] = 30;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kNoMatchingCreative)] = 10;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kBelowFloor)] = 20;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kPaced)] = 10;
  auto& win = c.notices[static_cast<size_t>(engine::NoticeKind::kWin)];
  win[static_cast<size_t>(R::kCharged)] = 7;
  win[static_cast<size_t>(R::kCounted)] = 2;
  win[static_cast<size_t>(R::kOverBudget)] = 1;
  win[static_cast<size_t>(R::kDuplicate)] = 50;  // not a win
  win[static_cast<size_t>(R::kRejected)] = 50;
  c.notices[static_cast<size_t>(engine::NoticeKind::kBill)][static_cast<size_t>(R::kCharged)] = 6;
  const Funnel f = FunnelOf(c);
  CHECK(f.requests == 100);
  CHECK(f.parsed == 90);
  CHECK(f.eligible == 50);  // targeting and creatives left out 40
  CHECK(f.bid == 20);       // floor and pacing held back 30 more
  CHECK(f.won == 10);
  CHECK(f.billed == 6);
  CHECK(f.bids == 25);
  REQUIRE(f.no_bids.size() == static_cast<size_t>(engine::NoBidReason::kCount) - 1);
  CHECK(f.no_bids.front().first == "no_campaigns");
}

TEST_CASE("requests answered past their deadline leave the funnel before parsed") {
  service::Metrics::Counts c;
  c.bid_requests = 100;
  c.bid_requests_answered = 100;
  c.bids = 20;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kDeadline)] = 60;  // shed under overload
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kTargetingCountry)] = 10;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kBelowFloor)] = 10;
  const Funnel f = FunnelOf(c);
  CHECK(f.parsed == 40);
  CHECK(f.eligible == 30);
  CHECK(f.bid == 20);
}

TEST_CASE("funnel stages read mid-update never exceed the stage before") {
  service::Metrics::Counts c;
  c.bid_requests = 10;
  c.bid_requests_answered = 10;
  c.no_bids[static_cast<size_t>(engine::NoBidReason::kTargeting)] = 12;  // counted before status
  const Funnel f = FunnelOf(c);
  CHECK(f.eligible == 0);
  CHECK(f.bid == 0);
}

TEST_CASE("histogram quantiles interpolate inside the bucket") {
  const std::array<int64_t, 3> bounds = {10, 100, 1000};
  SECTION("empty") {
    const std::array<uint64_t, 4> buckets = {0, 0, 0, 0};
    CHECK(HistogramQuantile(buckets, bounds, 0.5) == 0);
  }
  SECTION("within buckets") {
    const std::array<uint64_t, 4> buckets = {50, 40, 10, 0};
    CHECK(HistogramQuantile(buckets, bounds, 0.5) == Approx(10.0));
    CHECK(HistogramQuantile(buckets, bounds, 0.25) == Approx(5.0));
    CHECK(HistogramQuantile(buckets, bounds, 0.7) == Approx(55.0));
    CHECK(HistogramQuantile(buckets, bounds, 0.99) == Approx(910.0));
  }
  SECTION("in the unbounded bucket: the largest bound") {
    const std::array<uint64_t, 4> buckets = {1, 0, 0, 99};
    CHECK(HistogramQuantile(buckets, bounds, 0.99) == Approx(1000.0));
  }
}

}  // namespace
}  // namespace vetrina::status
