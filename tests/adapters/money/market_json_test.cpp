#include "adapters/money/market_json.h"

#include <catch2/catch.hpp>

#include "../../support/redis_server.h"
#include "../../support/temp_dir.h"
#include "adapters/fleet/redis_log.h"
#include "adapters/storage/journal.h"

namespace vetrina::money {
namespace {

using vetrina::testing::TempDir;

TEST_CASE("rates, floors and blocklists are validated, kept in the data dir and published") {
  TempDir dir;
  std::shared_ptr<const engine::MarketRules> published;
  {
    auto store = MarketStore::Open(dir.path.string());
    REQUIRE(store.ok());
    CHECK((*store)->rules()->currencies.rates().empty());
    (*store)->OnChange([&](auto rules) { published = std::move(rules); });
    REQUIRE((*store)->PutCurrencies(R"({"rates": {"EUR": 0.92, "JPY": 151.3}})").ok());
    REQUIRE(published);
    CHECK(published->currencies.Rate("EUR") == 920'000);
    REQUIRE((*store)
                ->PutFloors(R"({"floors": [{"app": "com.a", "tagid": "top", "floor": 0.5},
                                               {"app": "com.a", "floor": 0.2}]})")
                .ok());
    REQUIRE((*store)->PutAppBlocklist("adv", R"({"apps": ["com.b", "com.b", "com.c"]})").ok());
    CHECK(published->AppBlocked("adv", "com.b"));
    CHECK((*store)->AppBlocklistJson("adv") == R"({"apps":["com.b","com.c"]})");
  }
  auto reopened = MarketStore::Open(dir.path.string());
  REQUIRE(reopened.ok());
  std::shared_ptr<const engine::MarketRules> rules = (*reopened)->rules();
  CHECK(rules->currencies.Rate("JPY") == 151'300'000);
  engine::Publication app;
  app.bundle = "com.a";
  engine::Imp imp;
  imp.tag_id = "top";
  CHECK(rules->PlacementFloor(app, imp) == 500'000);
  imp.tag_id = "other";
  CHECK(rules->PlacementFloor(app, imp) == 200'000);
  CHECK(rules->AppBlocked("adv", "com.c"));
  CHECK_FALSE(rules->AppBlocked("someone", "com.c"));
}

TEST_CASE("on a log, each change is one record, and reopening the log restores every document") {
  TempDir dir;
  const std::string path = (dir.path / "market.log").string();
  auto open_log = [&](const storage::RecordLog::ReplayFn& replay)
      -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
    return storage::Journal::Open(path, replay);
  };
  {
    auto store = MarketStore::OpenShared(open_log);
    REQUIRE(store.ok());
    REQUIRE((*store)->PutCurrencies(R"({"rates": {"EUR": 0.92}})").ok());
    REQUIRE((*store)->PutFloors(R"({"floors": [{"app": "com.a", "floor": 0.2}]})").ok());
    // Each advertiser's list is its own record: a change to one never rewrites another's.
    REQUIRE((*store)->PutAppBlocklist("adv", R"({"apps": ["com.b"]})").ok());
    REQUIRE((*store)->PutAppBlocklist("other", R"({"apps": ["com.c"]})").ok());
    REQUIRE((*store)->PutChildDirectedApps(R"({"apps": ["com.kids"]})").ok());
    CHECK((*store)->rules()->AppBlocked("adv", "com.b"));
    CHECK((*store)->PutFloors(R"({"floors": [{"app": "com.a", "floor": -1}]})").code() ==
          absl::StatusCode::kInvalidArgument);
  }
  size_t records = 0;
  REQUIRE(storage::Journal::Open(path, [&](std::string_view) {
            ++records;
            return absl::OkStatus();
          }).ok());
  CHECK(records == 5);  // the refused floors were never appended
  auto reopened = MarketStore::OpenShared(open_log);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->CurrenciesJson() == R"({"base":"USD","rates":{"EUR":0.92}})");
  CHECK((*reopened)->FloorsJson() == R"({"floors":[{"app":"com.a","floor":0.2}]})");
  CHECK((*reopened)->AppBlocklistJson("adv") == R"({"apps":["com.b"]})");
  CHECK((*reopened)->AppBlocklistJson("other") == R"({"apps":["com.c"]})");
  CHECK((*reopened)->ChildDirectedAppsJson() == R"({"apps":["com.kids"]})");
  CHECK((*reopened)->rules()->currencies.Rate("EUR") == 920'000);
}

TEST_CASE("in a fleet, a change made on one node reaches another when it follows", "[fleet]") {
  vetrina::testing::RedisServer server;
  redis::RedisLink::Options quick;
  quick.call_timeout = absl::Milliseconds(500);
  redis::RedisLink link_a({{"127.0.0.1", server.port(), 0}}, quick);
  redis::RedisLink link_b({{"127.0.0.1", server.port(), 0}}, quick);
  REQUIRE(link_a.WaitConnected(absl::Seconds(10)));
  REQUIRE(link_b.WaitConnected(absl::Seconds(10)));
  auto on = [](const redis::RedisLink& link) {
    return [&link](const storage::RecordLog::ReplayFn& replay)
               -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
      return fleet::RedisLog::Open(link, "market", replay, {});
    };
  };
  auto a = MarketStore::OpenShared(on(link_a));
  auto b = MarketStore::OpenShared(on(link_b));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::shared_ptr<const engine::MarketRules> published_on_b;
  (*b)->OnChange([&](auto rules) { published_on_b = std::move(rules); });

  REQUIRE((*a)->PutAppBlocklist("adv", R"({"apps": ["com.b"]})").ok());
  REQUIRE((*b)->PutAppBlocklist("other", R"({"apps": ["com.c"]})").ok());  // b follows first
  REQUIRE(published_on_b);
  CHECK(published_on_b->AppBlocked("adv", "com.b"));
  CHECK(published_on_b->AppBlocked("other", "com.c"));
  REQUIRE((*a)->PutCurrencies(R"({"rates": {"EUR": 0.5}})").ok());
  CHECK((*b)->CurrenciesJson() == R"({"base":"USD","rates":{}})");  // not followed yet
  REQUIRE((*b)->Follow().ok());
  CHECK((*b)->CurrenciesJson() == R"({"base":"USD","rates":{"EUR":0.5}})");
  CHECK(published_on_b->currencies.Rate("EUR") == 500'000);
  REQUIRE((*a)->Follow().ok());
  CHECK((*a)->AppBlocklistJson("other") == R"({"apps":["com.c"]})");

  server.Stop();
  const absl::StatusCode down = (*a)->PutFloors(R"({"floors": []})").code();
  CHECK((down == absl::StatusCode::kUnavailable || down == absl::StatusCode::kDeadlineExceeded));
  CHECK((*a)->rules()->currencies.Rate("EUR") == 500'000);  // what was published stays
}

TEST_CASE("bad settings are refused whole, naming the field, and change nothing") {
  TempDir dir;
  auto store = MarketStore::Open(dir.path.string());
  REQUIRE(store.ok());
  REQUIRE((*store)->PutCurrencies(R"({"rates": {"EUR": 0.9}})").ok());
  for (std::string_view bad :
       {R"({"rates": {"eur": 0.9}})", R"({"rates": {"EUR": -1}})", R"({"rates": {"USD": 2}})",
        R"({"rates": []})", R"({"rate": {}})", R"({"rates": {"EUR": "0.9"}})", "not json"}) {
    INFO(bad);
    absl::Status s = (*store)->PutCurrencies(bad);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK((*store)->rules()->currencies.Rate("EUR") == 900'000);
  CHECK((*store)->PutFloors(R"({"floors": [{"tagid": "x", "floor": 1}]})").message() ==
        "/floors/0/app: required");
  CHECK_FALSE((*store)->PutFloors(R"({"floors": [{"app": "a", "floor": -1}]})").ok());
  CHECK_FALSE((*store)->PutFloors(R"({"floors": [{"app": "a", "floor": 1, "x": 1}]})").ok());
  CHECK_FALSE((*store)->PutAppBlocklist("adv", R"({"apps": [""]})").ok());
  CHECK_FALSE((*store)->PutAppBlocklist("adv", R"({"apps": [1]})").ok());
}

}  // namespace
}  // namespace vetrina::money

namespace vetrina::money {
namespace {

constexpr char kAppAds[] = "# ours\ndirectseller.com, 00001, DIRECT\nbad line\n";
constexpr char kSellers[] =
    R"({"version": "1.0", "sellers": [{"seller_id": "00001", "seller_type": "PUBLISHER"},
                                      {"seller_id": "x"}]})";

void CheckPublished(const engine::MarketRules& rules) {
  const engine::AuthorisedSellers& s = rules.authorised_sellers;
  REQUIRE(s.app_ads.contains("com.example.app"));
  REQUIRE(s.app_ads.at("com.example.app")->records.size() == 1);
  CHECK(s.app_ads.at("com.example.app")->records[0].seller_account_id == "00001");
  REQUIRE(s.sellers.contains("directseller.com"));
  CHECK(s.sellers.at("directseller.com")->sellers.contains("00001"));
}

TEST_CASE("app-ads.txt and sellers.json uploads are reported, kept in the data dir, published") {
  TempDir dir;
  {
    auto store = MarketStore::Open(dir.path.string());
    REQUIRE(store.ok());
    sellers::UploadReport report;
    REQUIRE((*store)->PutAppAdsTxt("com.example.app", kAppAds, &report).ok());
    CHECK(report.accepted == 1);
    CHECK(report.skipped == 1);
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].at == "line 3");
    // The exchange's domain is a key in any case; it is stored lower-case.
    REQUIRE((*store)->PutSellersJson("DirectSeller.com", kSellers, &report).ok());
    CHECK(report.accepted == 1);
    CHECK(report.skipped == 1);
    CheckPublished(*(*store)->rules());
    CHECK(
        *(*store)->SellersJsonSummary("directseller.com") ==
        R"({"domain":"directseller.com","accepted":1,"skipped":1,"problems":[{"at":"/sellers/1/seller_type","problem":"required: PUBLISHER, INTERMEDIARY or BOTH"}]})");
    // Refused whole, changing nothing.
    CHECK((*store)->PutSellersJson("directseller.com", "{", nullptr).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK((*store)->PutAppAdsTxt("../etc", kAppAds, nullptr).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK((*store)->AppAdsTxtJson("com.unknown").status().code() == absl::StatusCode::kNotFound);
  }
  auto reopened = MarketStore::Open(dir.path.string());
  REQUIRE(reopened.ok());
  CheckPublished(*(*reopened)->rules());
  CHECK(
      *(*reopened)->AppAdsTxtJson("com.example.app") ==
      R"({"app":"com.example.app","accepted":1,"skipped":1,"problems":[{"at":"line 3","problem":"a record has three or four comma-separated fields"}]})");
}

TEST_CASE("on a log, app-ads.txt and sellers.json uploads are records that reopen") {
  TempDir dir;
  const std::string path = (dir.path / "market.log").string();
  auto open_log = [&](const storage::RecordLog::ReplayFn& replay)
      -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
    return storage::Journal::Open(path, replay);
  };
  {
    auto store = MarketStore::OpenShared(open_log);
    REQUIRE(store.ok());
    REQUIRE((*store)->PutAppAdsTxt("com.example.app", kAppAds, nullptr).ok());
    REQUIRE((*store)->PutSellersJson("directseller.com", kSellers, nullptr).ok());
    CheckPublished(*(*store)->rules());
  }
  auto reopened = MarketStore::OpenShared(open_log);
  REQUIRE(reopened.ok());
  CheckPublished(*(*reopened)->rules());
}

}  // namespace
}  // namespace vetrina::money
