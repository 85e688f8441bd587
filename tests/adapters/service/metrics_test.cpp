#include "adapters/service/metrics.h"

#include <catch2/catch.hpp>

#include "engine/money/notice_book.h"

namespace vetrina::service {
namespace {

bool Has(const std::string& page, const std::string& line) {
  return page.find(line + "\n") != std::string::npos;
}

TEST_CASE("counters render in the Prometheus text format") {
  Metrics m;
  m.CountRequest(Endpoint::kBid, 200);
  m.CountRequest(Endpoint::kBid, 200);
  m.CountRequest(Endpoint::kBid, 418);  // unusual codes are "other"
  m.CountBid(3);
  m.CountNoBid(engine::NoBidReason::kBelowFloor);
  http::ServerStats stats;
  stats.connections_open = 7;
  const std::string page = m.Render({{"public", &stats}});
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="bid",status="200"} 2)"));
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="bid",status="other"} 1)"));
  CHECK(Has(page, "vetrina_bids_total 3"));
  CHECK(Has(page, R"(vetrina_no_bids_total{reason="below_floor"} 1)"));
  CHECK(Has(page, R"(vetrina_connections_open{listener="public"} 7)"));
}

TEST_CASE("totals add up requests of every endpoint, bids, no-bids, wins and spend") {
  Metrics m;
  m.CountRequest(Endpoint::kBid, 200);
  m.CountRequest(Endpoint::kNotice, 503);
  m.CountRequest(Endpoint::kAdminApi, 201);
  m.CountBid(2);
  m.CountNoBid(engine::NoBidReason::kBelowFloor);
  m.CountNoBid(engine::NoBidReason::kDeadline);
  m.CountNotice(static_cast<int>(engine::NoticeKind::kWin), Metrics::NoticeResult::kCharged);
  m.CountNotice(static_cast<int>(engine::NoticeKind::kWin), Metrics::NoticeResult::kCounted);
  m.CountNotice(static_cast<int>(engine::NoticeKind::kWin), Metrics::NoticeResult::kDuplicate);
  m.CountNotice(static_cast<int>(engine::NoticeKind::kBill), Metrics::NoticeResult::kCharged);
  m.AddSpend(1'250'000);
  m.ObserveBidLatency(absl::Microseconds(40));
  const Metrics::Totals t = m.totals();
  CHECK(t.requests == 3);
  CHECK(t.bids == 2);
  CHECK(t.no_bids == 2);
  CHECK(t.wins == 2);
  CHECK(t.spend_micros == 1'250'000);
  CHECK(t.latency_buckets[2] == 1);  // 25 < 40 <= 50 µs
}

TEST_CASE("the latency histogram is cumulative with a +Inf bucket") {
  Metrics m;
  m.ObserveBidLatency(absl::Microseconds(5));
  m.ObserveBidLatency(absl::Microseconds(40));
  m.ObserveBidLatency(absl::Seconds(2));
  const std::string page = m.Render({});
  CHECK(Has(page, R"(vetrina_bid_latency_seconds_bucket{le="0.000010"} 1)"));
  CHECK(Has(page, R"(vetrina_bid_latency_seconds_bucket{le="0.000050"} 2)"));
  CHECK(Has(page, R"(vetrina_bid_latency_seconds_bucket{le="0.100000"} 2)"));
  CHECK(Has(page, R"(vetrina_bid_latency_seconds_bucket{le="+Inf"} 3)"));
  CHECK(Has(page, "vetrina_bid_latency_seconds_count 3"));
  CHECK(Has(page, "vetrina_bid_latency_seconds_sum 2.000045"));
}

TEST_CASE("Read returns the counters /metrics renders") {
  Metrics m;
  m.CountRequest(Endpoint::kBid, 200);
  m.CountRequest(Endpoint::kBid, 204);
  m.CountRequest(Endpoint::kBid, 400);
  m.CountRequest(Endpoint::kNotice, 200);  // not a bid request
  m.CountBid(3);
  m.CountNoBid(engine::NoBidReason::kBelowFloor);
  m.CountPrivacy(1u << static_cast<uint32_t>(engine::PrivacyRule::kGdprNoConsent));
  m.CountNotice(1, Metrics::NoticeResult::kCounted);
  m.ObserveBidLatency(absl::Microseconds(30));
  const Metrics::Counts c = m.Read();
  CHECK(c.bid_requests == 3);
  CHECK(c.bid_requests_answered == 2);
  CHECK(c.bids == 3);
  CHECK(c.no_bids[static_cast<size_t>(engine::NoBidReason::kBelowFloor)] == 1);
  CHECK(c.privacy[static_cast<size_t>(engine::PrivacyRule::kGdprNoConsent)] == 1);
  CHECK(c.notices[1][static_cast<size_t>(Metrics::NoticeResult::kCounted)] == 1);
  CHECK(c.latency_buckets[2] == 1);  // 25 < 30 <= 50 us
  const std::string page = m.Render({});
  CHECK(Has(page, "vetrina_bids_total 3"));
  CHECK(Has(page, "vetrina_no_bids_total{reason=\"below_floor\"} 1"));
  CHECK(Has(page, "vetrina_notices_total{kind=\"bill\",result=\"counted\"} 1"));
}

}  // namespace
}  // namespace vetrina::service
