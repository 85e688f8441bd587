#include "adapters/service/metrics.h"

#include <catch2/catch.hpp>

#include "base/build_info.h"
#include "base/strings.h"
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
  m.CountRequest(Endpoint::kBid, 418);
  m.CountBid(3);
  m.CountNoBid(engine::NoBidReason::kBelowFloor);
  http::ServerStats stats;
  stats.connections_open = 7;
  const std::string page = m.Render({{"public", &stats}});
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="bid",code="200"} 2)"));
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="bid",code="418"} 1)"));
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
  m.AddSpend(static_cast<int>(engine::NoticeKind::kWin), 1'250'000);
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

TEST_CASE("requests count under their own status code; codes outside 100..599 are other") {
  Metrics m;
  m.CountRequest(Endpoint::kAdminApi, 201);
  m.CountRequest(Endpoint::kAdminApi, 100);
  m.CountRequest(Endpoint::kAdminApi, 599);
  m.CountRequest(Endpoint::kNotice, 99);
  m.CountRequest(Endpoint::kNotice, 600);
  m.CountRequest(Endpoint::kNotice, -1);
  const std::string page = m.Render({});
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="admin_api",code="201"} 1)"));
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="admin_api",code="100"} 1)"));
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="admin_api",code="599"} 1)"));
  CHECK(Has(page, R"(vetrina_requests_total{endpoint="notice",code="other"} 3)"));
  CHECK(page.find("status=") == std::string::npos);
  // Other pages read the same counts.
  CHECK(m.requests(Endpoint::kAdminApi, 201) == 1);
  CHECK(m.requests(Endpoint::kAdminApi, 200) == 0);
  CHECK(m.requests(Endpoint::kNotice, 700) == 3);
}

TEST_CASE("build_info is 1 with this binary's version, commit and build type") {
  const BuildInfo& build = GetBuildInfo();
  REQUIRE(!build.version.empty());
  const std::string page = Metrics().Render({});
  CHECK(Has(page, "# TYPE vetrina_build_info gauge"));
  CHECK(Has(page, StrCat("vetrina_build_info{version=\"", build.version, "\",commit=\"",
                         build.commit, "\",build_type=\"", build.build_type, "\"} 1")));
}

TEST_CASE("bid prices fill CPM buckets in dollars; the count is the bids observed") {
  Metrics m;
  m.ObserveBidPrice(100'000);     // $0.10: on the first bound, inside it
  m.ObserveBidPrice(1'250'000);   // $1.25
  m.ObserveBidPrice(80'000'000);  // $80: past the last bound
  const std::string page = m.Render({});
  CHECK(Has(page, "# TYPE vetrina_bid_price_cpm histogram"));
  CHECK(Has(page, R"(vetrina_bid_price_cpm_bucket{le="0.100000"} 1)"));
  CHECK(Has(page, R"(vetrina_bid_price_cpm_bucket{le="1.000000"} 1)"));
  CHECK(Has(page, R"(vetrina_bid_price_cpm_bucket{le="1.500000"} 2)"));
  CHECK(Has(page, R"(vetrina_bid_price_cpm_bucket{le="50.000000"} 2)"));
  CHECK(Has(page, R"(vetrina_bid_price_cpm_bucket{le="+Inf"} 3)"));
  CHECK(Has(page, "vetrina_bid_price_cpm_sum 81.350000"));
  CHECK(Has(page, "vetrina_bid_price_cpm_count 3"));
  CHECK(m.bid_price().count() == 3);
}

TEST_CASE("imps count once per media type they offer") {
  Metrics m;
  engine::Imp banner_and_video;
  banner_and_video.banner.emplace();
  banner_and_video.video.emplace();
  engine::Imp native;
  native.native.emplace();
  engine::Imp audio;
  audio.audio.emplace();
  for (const engine::Imp* imp : {&banner_and_video, &native, &audio, &native}) {
    m.CountRequestedImp(*imp);
  }
  const std::string page = m.Render({});
  CHECK(Has(page, R"(vetrina_bid_requests_by_media_total{media="banner"} 1)"));
  CHECK(Has(page, R"(vetrina_bid_requests_by_media_total{media="video"} 1)"));
  CHECK(Has(page, R"(vetrina_bid_requests_by_media_total{media="native"} 2)"));
  CHECK(Has(page, R"(vetrina_bid_requests_by_media_total{media="audio"} 1)"));
}

TEST_CASE("spend renders exact dollars by notice kind") {
  Metrics m;
  m.AddSpend(0, 1'500);  // win
  m.AddSpend(0, 2'000'000);
  m.AddSpend(4, 250'000);  // click
  m.AddSpend(9, 1);        // no such kind: ignored
  m.AddSpend(1, -5);       // nothing to add
  const std::string page = m.Render({});
  CHECK(Has(page, "# TYPE vetrina_spend_usd_total counter"));
  CHECK(Has(page, R"(vetrina_spend_usd_total{kind="win"} 2.001500)"));
  CHECK(Has(page, R"(vetrina_spend_usd_total{kind="bill"} 0.000000)"));
  CHECK(Has(page, R"(vetrina_spend_usd_total{kind="click"} 0.250000)"));
  CHECK(m.spend_micros(0) == 2'001'500);
  CHECK(m.spend_micros(9) == 0);
}

TEST_CASE("the fsync histogram runs from 50 us to 1 s") {
  Histogram fsync = MakeFsyncHistogram();
  fsync.Observe(40);
  fsync.Observe(3'000);
  fsync.Observe(2'000'000);
  std::string page;
  fsync.AppendTo(kFsyncMetric, kFsyncHelp, &page);
  CHECK(page.find("# TYPE vetrina_fsync_seconds "
                  "histogram\nvetrina_fsync_seconds_bucket{le=\"0.000050\"} 1\n") !=
        std::string::npos);
  CHECK(Has(page, R"(vetrina_fsync_seconds_bucket{le="0.005000"} 2)"));
  CHECK(Has(page, R"(vetrina_fsync_seconds_bucket{le="1.000000"} 2)"));
  CHECK(Has(page, R"(vetrina_fsync_seconds_bucket{le="+Inf"} 3)"));
  CHECK(Has(page, "vetrina_fsync_seconds_sum 2.003040"));
  CHECK(Has(page, "vetrina_fsync_seconds_count 3"));
  CHECK(fsync.count() == 3);
}

TEST_CASE("snapshot ages count from each one's last publication") {
  Metrics m;
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  m.MarkPublished(Snapshot::kCampaigns, t0);
  m.MarkPublished(Snapshot::kMarket, t0 + absl::Seconds(30));
  std::string page;
  m.AppendSnapshotGauges(t0 + absl::Seconds(90) + absl::Milliseconds(5), &page);
  CHECK(Has(page, "# TYPE vetrina_snapshot_age_seconds gauge"));
  CHECK(Has(page, R"(vetrina_snapshot_age_seconds{snapshot="campaigns"} 90.005000)"));
  CHECK(Has(page, R"(vetrina_snapshot_age_seconds{snapshot="market"} 60.005000)"));
  CHECK(page.find("audiences") == std::string::npos);  // never published: no age to tell
  m.MarkPublished(Snapshot::kCampaigns, t0 + absl::Seconds(90));
  page.clear();
  m.AppendSnapshotGauges(t0 + absl::Seconds(90), &page);
  CHECK(Has(page, R"(vetrina_snapshot_age_seconds{snapshot="campaigns"} 0.000000)"));
}

TEST_CASE("catalog gauges count live campaigns, their creatives and distinct advertisers") {
  std::vector<engine::Campaign> campaigns(3);
  campaigns[0].id = "a";
  campaigns[0].advertiser = "acme";
  campaigns[0].creatives.resize(2);
  campaigns[1].id = "b";
  campaigns[1].advertiser = "acme";
  campaigns[1].creatives.resize(1);
  campaigns[2].id = "c";
  campaigns[2].advertiser = "globex";
  campaigns[2].creatives.resize(4);
  const engine::CampaignSet set(std::move(campaigns));
  std::string page;
  AppendCatalogGauges(set, &page);
  CHECK(Has(page, "vetrina_catalog_campaigns 3"));
  CHECK(Has(page, "vetrina_catalog_creatives 7"));
  CHECK(Has(page, "vetrina_catalog_advertisers 2"));
  page.clear();
  AppendCatalogGauges(engine::CampaignSet(), &page);
  CHECK(Has(page, "vetrina_catalog_campaigns 0"));
  CHECK(Has(page, "vetrina_catalog_advertisers 0"));
}

TEST_CASE("decimal millionths keep six places and their sign") {
  std::string out;
  AppendDecimalMillionths(1'500'000, &out);
  CHECK(out == "1.500000");
  out.clear();
  AppendDecimalMillionths(42, &out);
  CHECK(out == "0.000042");
  out.clear();
  AppendDecimalMillionths(-2'500'000, &out);
  CHECK(out == "-2.500000");
}

}  // namespace
}  // namespace vetrina::service
