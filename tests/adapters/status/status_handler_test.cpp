#include "adapters/status/status_handler.h"

#include <catch2/catch.hpp>
#include <string>

#include "../../support/temp_dir.h"
#include "adapters/campaigns/campaign_json.h"
#include "adapters/service/admin_handler.h"
#include "engine/money/budget.h"

namespace vetrina::status {
namespace {

const admin::Principal kAdmin{.admin = true, .advertiser = {}};

admin::CampaignEntry Entry(const std::string& id, const std::string& advertiser) {
  const std::string json = R"({"id": ")" + id + R"(", "advertiser": ")" + advertiser +
                           R"(", "status": "active",
    "bid": {"strategy": "cpm", "max_bid": 2.5, "currency": "USD"}, "budget": {"daily": 96},
    "adomain": ["adv.example"], "cat": ["IAB17"],
    "creatives": [{"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]})";
  absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(json);
  INFO(campaign.status().ToString());
  REQUIRE(campaign.ok());
  return admin::CampaignEntry{std::make_shared<const engine::Campaign>(*std::move(campaign)), json};
}

struct Fixture {
  vetrina::testing::TempDir dir;
  vetrina::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::MoneyState money{absl::Seconds(60)};
  service::Bidder bidder{
      clock, epoch, service::BidderOptions{},
      service::BidderServices{.money = &money, .notice_secret = "n", .user_secret = "u"}};
  admin::CatalogPtr catalog;
  std::string acme_token, globex_token;

  Fixture() {
    std::string admin_token;
    absl::StatusOr<admin::CatalogPtr> opened =
        admin::Catalog::Open(dir.path.string(), &admin_token);
    REQUIRE(opened.ok());
    catalog = *std::move(opened);
    acme_token = *catalog->CreateAdvertiser("acme");
    globex_token = *catalog->CreateAdvertiser("globex");
    std::vector<admin::CampaignEntry> entries;
    entries.push_back(Entry("acme-shoes", "acme"));
    entries.push_back(Entry("globex-cars", "globex"));
    REQUIRE(catalog->PutCampaigns(kAdmin, std::move(entries)).ok());
  }

  http::HttpResponse Get(http::Handler& handler, std::string_view path,
                         const std::string& token = "") {
    const std::string authorization = token.empty() ? "" : "Bearer " + token;
    http::HttpRequest request;
    request.method = http::Method::kGet;
    request.path = path;
    request.authorization = authorization;
    http::HttpResponse response;
    handler.Handle(request, &response);
    return response;
  }
};

std::string Header(const http::HttpResponse& response, std::string_view name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST_CASE("status JSON: the admin sees every campaign, an advertiser only its own") {
  Fixture f;
  StatusSampler sampler(f.bidder, *f.catalog, f.clock);
  StatusHandler handler(f.bidder, *f.catalog, sampler);

  const http::HttpResponse admin = f.Get(handler, "/v1/status", "");
  CHECK(admin.status == 401);
  CHECK(Header(admin, "WWW-Authenticate") == "Bearer");
  CHECK(f.Get(handler, "/v1/status", "not-a-token").status == 401);

  const std::string all = handler.StatusJson(kAdmin);
  CHECK(all.find("\"acme-shoes\"") != std::string::npos);
  CHECK(all.find("\"globex-cars\"") != std::string::npos);
  CHECK(all.find("\"campaigns_total\":2") != std::string::npos);

  const http::HttpResponse acme = f.Get(handler, "/v1/status", f.acme_token);
  REQUIRE(acme.status == 200);
  CHECK(acme.content_type == "application/json");
  CHECK(acme.body.find("\"acme-shoes\"") != std::string::npos);
  CHECK(acme.body.find("globex") == std::string::npos);  // neither its id nor its advertiser
  CHECK(acme.body.find("\"campaigns_total\":1") != std::string::npos);
  CHECK(acme.body.find("\"scope\":\"advertiser\"") != std::string::npos);
  const http::HttpResponse globex = f.Get(handler, "/v1/status", f.globex_token);
  CHECK(globex.body.find("acme") == std::string::npos);
}

TEST_CASE("status JSON: funnel, throughput, spend curves and clearing prices come from counters") {
  Fixture f;
  StatusSampler sampler(f.bidder, *f.catalog, f.clock);
  StatusHandler handler(f.bidder, *f.catalog, sampler);
  sampler.SampleNow();
  service::Metrics& metrics = f.bidder.metrics();
  for (int i = 0; i < 30; ++i) metrics.CountRequest(service::Endpoint::kBid, 204);
  for (int i = 0; i < 30; ++i) metrics.CountNoBid(engine::NoBidReason::kTargetingCountry);
  for (int i = 0; i < 10; ++i) metrics.CountRequest(service::Endpoint::kBid, 200);
  metrics.CountBid(10);
  metrics.CountNotice(0, service::Metrics::NoticeResult::kCharged);
  f.money.ledger.Account("acme-shoes").CountClearingPrice(1'500'000);
  f.clock.Advance(absl::Seconds(10));
  sampler.SampleNow();

  const std::string json = handler.StatusJson(kAdmin);
  INFO(json);
  CHECK(json.find("\"requests\":40,\"parsed\":40,\"eligible\":10,\"bid\":10,\"won\":1,"
                  "\"billed\":0") != std::string::npos);
  CHECK(json.find("\"targeting_country\":30") != std::string::npos);
  CHECK(json.find("\"qps\":4,\"bid_rate\":0.25") != std::string::npos);
  // 1.5 CPM lands in the bucket up to 2: the fifth of ten.
  CHECK(json.find("\"clearing_cpm_wins\":[0,0,0,0,1,0,0,0,0,0]") != std::string::npos);
  CHECK(json.find("\"planned\":[[") != std::string::npos);
  CHECK(json.find("\"actual\":[[") != std::string::npos);
  CHECK(json.find("\"fleet\"") == std::string::npos);  // not in a fleet
  // The empty campaign set the bidder starts with was published when it was made, 10 s ago.
  CHECK(json.find("\"campaigns\":{\"age_s\":10}") != std::string::npos);
  f.bidder.PublishCampaigns({});
  f.clock.Advance(absl::Seconds(3));
  CHECK(handler.StatusJson(kAdmin).find("\"campaigns\":{\"age_s\":3}") != std::string::npos);
}

TEST_CASE("status JSON: fleet health and follow freshness only in fleet mode, fleet to the admin") {
  vetrina::testing::TempDir dir;
  vetrina::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::MoneyState money{absl::Seconds(60)};
  absl::Status store = absl::UnavailableError("redis down");
  service::Bidder bidder{clock, epoch, service::BidderOptions{},
                         service::BidderServices{.money = &money,
                                                 .notice_secret = "n",
                                                 .user_secret = "u",
                                                 .fleet_health = [&store] { return store; }}};
  std::string admin_token;
  absl::StatusOr<admin::CatalogPtr> catalog = admin::Catalog::Open(dir.path.string(), &admin_token);
  REQUIRE(catalog.ok());
  StatusSampler sampler(bidder, **catalog, clock);
  StatusHandler handler(bidder, **catalog, sampler);

  const std::string down = handler.StatusJson(kAdmin);
  CHECK(down.find("\"fleet\":{\"redis_up\":false,\"reason\":\"redis down\"}") != std::string::npos);
  CHECK(down.find("\"fleet_catalog_follow\":{}") != std::string::npos);  // never followed
  bidder.MarkFresh(service::Bidder::Freshness::kCatalogFollow);
  clock.Advance(absl::Milliseconds(20));
  store = absl::OkStatus();
  const std::string up = handler.StatusJson(kAdmin);
  CHECK(up.find("\"fleet\":{\"redis_up\":true}") != std::string::npos);
  CHECK(up.find("\"fleet_catalog_follow\":{\"age_s\":0.02}") != std::string::npos);
  const std::string advertiser =
      handler.StatusJson(admin::Principal{.admin = false, .advertiser = "acme"});
  CHECK(advertiser.find("\"fleet\"") == std::string::npos);
}

TEST_CASE(
    "the admin listener serves the page, its scripts and the JSON through the status handler") {
  Fixture f;
  StatusSampler sampler(f.bidder, *f.catalog, f.clock);
  service::AdminHandler without(f.bidder);
  CHECK(f.Get(without, "/").status == 404);  // no status handler: as before

  service::AdminHandler admin(f.bidder, nullptr,
                              std::make_unique<StatusHandler>(f.bidder, *f.catalog, sampler));
  const http::HttpResponse page = f.Get(admin, "/");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body == StatusPageHtml());
  CHECK(page.body.find("/static/chart.js") != std::string::npos);
  CHECK(Header(page, "ETag") == StatusPageHtmlEtag());
  CHECK(Header(page, "Cache-Control") == "no-cache");

  const http::HttpResponse chart = f.Get(admin, "/static/chart.js");
  CHECK(chart.status == 200);
  CHECK(chart.content_type == "text/javascript; charset=utf-8");
  CHECK(chart.body.find("Chart.js") != std::string::npos);
  CHECK(chart.body.size() > 100'000);
  CHECK(!Header(chart, "ETag").empty());
  CHECK(f.Get(admin, "/static/status.js").body == StatusPageJs());
  CHECK(f.Get(admin, "/static/nothing.js").status == 404);
  CHECK(f.Get(admin, "/v1/status", f.acme_token).status == 200);

  http::HttpRequest post;
  post.method = http::Method::kPost;
  post.path = "/";
  http::HttpResponse refused;
  admin.Handle(post, &refused);
  CHECK(refused.status == 405);
}

}  // namespace
}  // namespace vetrina::status
