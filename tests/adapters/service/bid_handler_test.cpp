#include "adapters/service/bid_handler.h"

#include <simdjson.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "../../support/files.h"
#include "../../support/log_capture.h"
#include "absl/synchronization/notification.h"
#include "adapters/campaigns/campaign_json.h"
#include "adapters/money/notice_request.h"
#include "adapters/service/admin_handler.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "engine/money/notice_token.h"
#include "tests/support/temp_dir.h"
#include "tests/support/unreachable_log.h"

namespace vetrina::service {
namespace {

struct Harness {
  vetrina::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::MoneyState money{absl::Seconds(60)};
  Bidder bidder;
  std::unique_ptr<BidHandler> handler;

  explicit Harness(BidderOptions options = {})
      : bidder(
            clock, epoch, std::move(options),
            BidderServices{
                .money = &money, .notice_secret = "notice secret", .user_secret = "user secret"}) {
    auto campaigns = campaigns::LoadCampaignDirectory(
        (vetrina::testing::SourceDir() / "schemas/examples").string());
    REQUIRE(campaigns.ok());
    bidder.PublishCampaigns(*std::move(campaigns));
    handler = std::make_unique<BidHandler>(bidder, 0);
  }

  http::HttpResponse Call(http::Method method, std::string_view path, std::string_view body,
                          absl::Duration waited = absl::ZeroDuration()) {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.received_at = clock.Now() - waited;
    http::HttpResponse response;
    handler->Handle(request, &response);
    return response;
  }
};

std::string Header(const http::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_CASE("a request whose tmax has (nearly) passed gets an immediate 204, not a late bid") {
  Harness h;
  std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  // The demo request says tmax 120 ms; the default margin for the way back is 10 ms.
  REQUIRE(body.find("\"tmax\": 120") != std::string::npos);
  CHECK(h.Call(http::Method::kPost, "/openrtb2/bid", body, absl::Milliseconds(100)).status == 200);
  http::HttpResponse late =
      h.Call(http::Method::kPost, "/openrtb2/bid", body, absl::Milliseconds(111));
  CHECK(late.status == 204);
  CHECK(Header(late, "x-vetrina-no-bid") == "deadline");
  // Without tmax the default (100 ms) applies.
  const size_t at = body.find("\"tmax\": 120,");
  body.erase(at, std::string("\"tmax\": 120,").size());
  CHECK(h.Call(http::Method::kPost, "/openrtb2/bid", body, absl::Milliseconds(85)).status == 200);
  CHECK(h.Call(http::Method::kPost, "/openrtb2/bid", body, absl::Milliseconds(91)).status == 204);
}

TEST_CASE("the demo request gets a 200 bid from the demo campaigns") {
  Harness h;
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", body);
  REQUIRE(r.status == 200);
  CHECK(Header(r, "x-openrtb-version") == "2.6");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(r.body).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["id"]) == "demo-request-1");
  simdjson::dom::element bid = doc["seatbid"].at(0)["bid"].at(0);
  CHECK(std::string_view(bid["impid"]) == "1");
  CHECK(double(bid["price"]) >= 0.8);  // the request's floor
}

TEST_CASE("x-openrtb-version names the version we answer in, whatever the request said") {
  // OpenRTB 2.6 §2.5: the header gives the version of the message it comes with; our responses
  // are 2.6 (2.5 requests are read as a subset of 2.6).
  Harness h;
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  struct Row {
    const char* rule;
    const char* requested;
  };
  const Row rows[] = {
      {"OpenRTB 2.6 §2.5 a 2.6 request gets 2.6", "2.6"},
      {"OpenRTB 2.6 §2.5 a 2.5 request is answered in 2.6", "2.5"},
      {"OpenRTB 2.6 §2.5 a version we do not speak is not echoed", "3.0"},
      {"OpenRTB 2.6 §2.5 no version given", ""},
      {"OpenRTB 2.6 §2.5 nothing of the request's value reaches the header", "2.6\r\nx-evil: 1"},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    http::HttpRequest request;
    request.method = http::Method::kPost;
    request.path = "/openrtb2/bid";
    request.body = body;
    request.openrtb_version = row.requested;
    request.received_at = h.clock.Now();
    http::HttpResponse response;
    h.handler->Handle(request, &response);
    CHECK(response.status == 200);
    CHECK(Header(response, "x-openrtb-version") == "2.6");
  }
  // An invalid request's answer is an error, not an OpenRTB payload, but carries the header too.
  http::HttpRequest bad;
  bad.method = http::Method::kPost;
  bad.path = "/openrtb2/bid";
  bad.body = "{}";
  bad.openrtb_version = "3.0";
  bad.received_at = h.clock.Now();
  http::HttpResponse refused;
  h.handler->Handle(bad, &refused);
  CHECK(refused.status == 400);
  CHECK(Header(refused, "x-openrtb-version") == "2.6");
}

TEST_CASE("each response has a distinct bidid") {
  Harness h;
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  http::HttpResponse a = h.Call(http::Method::kPost, "/openrtb2/bid", body);
  http::HttpResponse b = h.Call(http::Method::kPost, "/openrtb2/bid", body);
  simdjson::dom::parser pa, pb;
  CHECK(std::string_view(pa.parse(a.body)["bidid"]) != std::string_view(pb.parse(b.body)["bidid"]));
}

TEST_CASE("no eligible campaign is a 204 with an empty body, counted by reason") {
  Harness h;
  http::HttpResponse r = h.Call(
      http::Method::kPost, "/openrtb2/bid",
      R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1}}],"device":{"os":"ios","devicetype":4}})");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  const std::string metrics = h.bidder.metrics().Render({});
  CHECK(metrics.find("vetrina_no_bids_total{reason=\"no_matching_creative\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("vetrina_requests_total{endpoint=\"bid\",code=\"204\"} 1") !=
        std::string::npos);
}

TEST_CASE("invalid requests are 400 with a JSON error naming the field") {
  Harness h;
  http::HttpResponse r =
      h.Call(http::Method::kPost, "/openrtb2/bid", R"({"id":"r","imp":[{"id":"1"}]})");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"imp[0]: needs one of banner, video, audio, native"})");
  r = h.Call(http::Method::kPost, "/openrtb2/bid", "{\"id\":\"\\\"\"");
  CHECK(r.status == 400);
  simdjson::dom::parser parser;
  CHECK(parser.parse(r.body).error() == simdjson::SUCCESS);  // the error body is valid JSON
}

TEST_CASE("a secure imp: no bid without an https base, https notices with one") {
  std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  const std::string tag = R"("tagid": "feed-banner",)";
  REQUIRE(body.find(tag) != std::string::npos);
  body.replace(body.find(tag), tag.size(), tag + R"( "secure": 1,)");
  {
    Harness h;
    http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", body);
    CHECK(r.status == 204);
    CHECK(h.bidder.metrics().Render({}).find(
              "vetrina_no_bids_total{reason=\"no_secure_notices\"} 1") != std::string::npos);
  }
  BidderOptions options;
  options.response.notice_base_url = "http://bid.example:8080";
  options.response.notice_base_url_https = "https://bid.example";
  options.pipeline.https_notices = true;
  Harness h(options);
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", body);
  REQUIRE(r.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element bid = parser.parse(r.body)["seatbid"].at(0)["bid"].at(0);
  for (const char* field : {"nurl", "burl", "lurl"}) {
    INFO(field);
    CHECK(std::string_view(bid[field]).rfind("https://bid.example/ev/", 0) == 0);
  }
  CHECK(std::string_view(bid["adm"]).find("https://bid.example/ev/imp?t=") !=
        std::string_view::npos);
  CHECK(std::string_view(bid["adm"]).find("http://bid.example") == std::string_view::npos);
}

TEST_CASE("the privacy page native ads link to is served") {
  Harness h;
  for (http::Method method : {http::Method::kGet, http::Method::kHead}) {
    http::HttpResponse r = h.Call(method, "/privacy", "");
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/html; charset=utf-8");
    CHECK(r.body.find("How to opt out") != std::string::npos);
    CHECK(r.body.find("App Tracking Transparency") != std::string::npos);
  }
  CHECK(h.Call(http::Method::kPost, "/privacy", "").status == 404);
}

std::string DemoRequest() {
  return vetrina::testing::ReadFile(vetrina::testing::SourceDir() /
                                    "docs/examples/bid-request.json");
}

// The demo request with `text` inserted at the start of its imp array.
std::string WithImpFirst(std::string_view text) {
  std::string body = DemoRequest();
  const size_t at = body.find("\"imp\": [");
  REQUIRE(at != std::string::npos);
  body.insert(at + std::string_view("\"imp\": [").size(), text);
  return body;
}

std::vector<std::string> BidImpIds(const std::string& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(response).get(doc) == simdjson::SUCCESS);
  std::vector<std::string> ids;
  for (simdjson::dom::element seat : doc["seatbid"].get_array()) {
    for (simdjson::dom::element bid : seat["bid"].get_array()) {
      ids.emplace_back(std::string_view(bid["impid"]));
    }
  }
  return ids;
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("one broken imp is left out and counted; the request is answered for the others") {
  struct Row {
    const char* rule;
    const char* broken_imp;
    const char* metric;
  };
  const Row kRows[] = {
      {"Native 1.2 §4.1: a native request that is not JSON",
       R"({"id":"broken","native":{"request":"{not json"}},)",
       "vetrina_imps_dropped_total{reason=\"malformed\"} 1"},
      {"Native 1.2 §4.1: a native object without a request", R"({"id":"broken","native":{}},)",
       "vetrina_imps_dropped_total{reason=\"incomplete\"} 1"},
      {"Native 1.2 §4.1: a native request without assets",
       R"({"id":"broken","native":{"request":"{\"assets\":[]}"}},)",
       "vetrina_imps_dropped_total{reason=\"incomplete\"} 1"},
  };
  for (const Row& row : kRows) {
    INFO(row.rule);
    Harness h;
    http::HttpResponse r =
        h.Call(http::Method::kPost, "/openrtb2/bid", WithImpFirst(row.broken_imp));
    REQUIRE(r.status == 200);
    CHECK(BidImpIds(r.body) == std::vector<std::string>{"1"});
    CHECK(Contains(h.bidder.metrics().Render({}), row.metric));
  }
  // Every imp broken: 400 naming the first.
  Harness h;
  http::HttpResponse r =
      h.Call(http::Method::kPost, "/openrtb2/bid",
             R"({"id":"r","imp":[{"id":"1","native":{}},{"id":"2","banner":{"w":"x"}}]})");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"imp[0].native.request.assets: at least one asset is required"})");
}

TEST_CASE("an ext of the wrong type is ignored and counted, not a 400") {
  Harness h;
  std::string body = DemoRequest();
  body.insert(1, R"("source": {"ext": "test-ext"}, "ext": 7,)");
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", body);
  CHECK(r.status == 200);
  CHECK(Contains(h.bidder.metrics().Render({}), "vetrina_request_ext_ignored_total 2"));
  r = h.Call(http::Method::kPost, "/openrtb2/bid", WithImpFirst(R"({"id":"e","ext":"",
    "banner":{"w":320,"h":50}},)"));
  CHECK(r.status == 200);
  CHECK(Contains(h.bidder.metrics().Render({}), "vetrina_request_ext_ignored_total 3"));
}

TEST_CASE("a duplicated member is a 400 naming it") {
  Harness h;
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid",
                                R"({"id":"dup","imp":[{"id":"a","banner":{"w":320,"h":50}}],
                                    "imp":[{"id":"b","banner":{"w":320,"h":50}}]})");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"request: duplicate member \"imp\""})");
}

TEST_CASE("a request with 4,500 imps gets a bounded answer and holds a bounded reservation") {
  Harness h;
  std::string body = DemoRequest();
  const size_t open = body.find("\"imp\": [");
  const size_t close = body.find("],", open);
  std::string imps;
  for (int i = 0; i < 4'500; ++i) {
    StrAppend(&imps, i == 0 ? "" : ",", R"({"id":")", i, R"(","banner":{"w":320,"h":50}})");
  }
  body.replace(open + 8, close - open - 8, imps);
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", body);
  REQUIRE(r.status == 200);
  const engine::BidPipelineConfig& limits = h.bidder.pipeline_config();
  const std::vector<std::string> ids = BidImpIds(r.body);
  CHECK(!ids.empty());
  CHECK(ids.size() <= limits.max_bids_per_response);
  for (const std::string& id : ids) CHECK(std::stoul(id) < limits.max_imps_per_request);
  CHECK(r.body.size() < 64 * 1024);
  CHECK(h.money.ledger.open_reservations() == ids.size());
  CHECK(Contains(h.bidder.metrics().Render({}),
                 StrCat("vetrina_imps_dropped_total{reason=\"over_limit\"} ",
                        4'500 - limits.max_imps_per_request)));
}

TEST_CASE("wrong method and unknown paths") {
  Harness h;
  http::HttpResponse r = h.Call(http::Method::kGet, "/openrtb2/bid", "");
  CHECK(r.status == 405);
  CHECK(Header(r, "Allow") == "POST");
  CHECK(h.Call(http::Method::kPost, "/nope", "").status == 404);
}

TEST_CASE("a campaign change reaches the next request") {
  Harness h;
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  REQUIRE(h.Call(http::Method::kPost, "/openrtb2/bid", body).status == 200);
  h.bidder.PublishCampaigns(std::vector<engine::Campaign>{});
  CHECK(h.Call(http::Method::kPost, "/openrtb2/bid", body).status == 204);
}

// The harness with the spend journal wired, as `vetrina serve` runs: notices are answered.
struct MoneyHarness {
  vetrina::testing::TempDir dir;
  vetrina::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::MoneyState money{absl::Seconds(60)};
  money::SpendWriterPtr writer;
  std::unique_ptr<Bidder> bidder;
  std::unique_ptr<BidHandler> handler;

  // `options`: the spend writer's (default: the file journal in `dir`).
  explicit MoneyHarness(money::SpendWriter::Options options = {},
                        BidderOptions bidder_options = {}) {
    absl::StatusOr<money::SpendWriterPtr> opened =
        money::SpendWriter::Open(dir.path.string(), money, clock, std::move(options));
    REQUIRE(opened.ok());
    writer = *std::move(opened);
    writer->Start();
    bidder = std::make_unique<Bidder>(clock, epoch, std::move(bidder_options),
                                      BidderServices{.money = &money,
                                                     .spend_writer = writer.get(),
                                                     .notice_secret = "notice secret",
                                                     .user_secret = "user secret"});
    auto campaigns = campaigns::LoadCampaignDirectory(
        (vetrina::testing::SourceDir() / "schemas/examples").string());
    REQUIRE(campaigns.ok());
    bidder->PublishCampaigns(*std::move(campaigns));
    handler = std::make_unique<BidHandler>(*bidder, 0);
  }

  // Calls the handler and, for a deferred answer, waits until the journal has it.
  http::HttpResponse Call(http::Method method, std::string_view path, std::string_view query,
                          std::string_view body) {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.body = body;
    request.received_at = clock.Now();
    http::HttpResponse response;
    handler->Handle(request, &response);
    if (response.defer) {
      absl::Notification answered;
      response.defer([&answered] { answered.Notify(); });
      answered.WaitForNotification();
    }
    return response;
  }
};

// The path and query of a notice URL from a response, with the price macro filled in.
std::pair<std::string, std::string> NoticeTarget(std::string_view url, std::string_view price) {
  std::string target(url.substr(url.find("/ev/")));
  const size_t macro = target.find("${AUCTION_PRICE}");
  if (macro != std::string::npos) target.replace(macro, 16, price);
  const size_t q = target.find('?');
  return {target.substr(0, q), target.substr(q + 1)};
}

TEST_CASE("a bid reserves its cost and signs its notices; the win is charged once, durably") {
  MoneyHarness h;
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", "", body);
  REQUIRE(r.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element bid = parser.parse(r.body)["seatbid"].at(0)["bid"].at(0);
  const std::string campaign{std::string_view(bid["cid"])};
  const std::string nurl{std::string_view(bid["nurl"])};
  CHECK(h.money.ledger.open_reservations() == 1);
  const engine::CampaignAccount* account = h.money.ledger.FindAccount(campaign);
  REQUIRE(account != nullptr);
  CHECK(account->bids.load() == 1);
  CHECK(account->State(h.clock.Now()).daily_reserved > 0);

  // The nurl's token is signed with the bidder's key and names this bid. The exchange reports
  // a clearing price below our bid: half of it.
  const engine::Micros bid_micros = std::llround(double(bid["price"]) * 1e6);
  const engine::Micros clearing = bid_micros / 2;
  std::string price;
  AppendDecimal(clearing, &price);
  auto [path, query] = NoticeTarget(nurl, price);
  CHECK(path == "/ev/win");
  absl::StatusOr<money::NoticeRequest> notice = money::ParseNoticeRequest(path, query);
  REQUIRE(notice.ok());
  absl::StatusOr<engine::NoticeToken> token =
      engine::VerifyNoticeToken(notice->token, h.bidder->notice_key(), h.clock.Now());
  REQUIRE(token.ok());
  CHECK(token->campaign_id == campaign);
  CHECK(token->bid_id == std::string_view(bid["id"]));

  const engine::Micros cost = engine::ImpressionCost(clearing);
  http::HttpResponse win = h.Call(http::Method::kGet, path, query, "");
  INFO(win.body);
  CHECK(win.status == 200);
  CHECK(win.body.find("\"status\":\"charged\"") != std::string::npos);
  CHECK(win.body.find(StrCat("\"charged_micros\":", cost, ",")) != std::string::npos);
  CHECK(h.money.ledger.open_reservations() == 0);
  CHECK(account->State(h.clock.Now()).daily_settled == cost);

  // Replayed: a duplicate, charged nothing more.
  http::HttpResponse again = h.Call(http::Method::kGet, path, query, "");
  CHECK(again.status == 200);
  CHECK(again.body.find("\"status\":\"duplicate\"") != std::string::npos);
  CHECK(account->State(h.clock.Now()).daily_settled == cost);

  // A token signed with another key is refused.
  query.replace(query.find("t=") + 2, 4, "AAAA");
  CHECK(h.Call(http::Method::kGet, path, query, "").status == 403);
}

TEST_CASE("metrics: each bid's price, the imps by media and the spend a win charged") {
  MoneyHarness h;
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", "", body);
  REQUIRE(r.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element bid = parser.parse(r.body)["seatbid"].at(0)["bid"].at(0);
  const engine::Micros bid_micros = std::llround(double(bid["price"]) * 1e6);
  std::string page = h.bidder->metrics().Render({});
  CHECK(Contains(page, "vetrina_bid_price_cpm_count 1\n"));
  std::string sum = "vetrina_bid_price_cpm_sum ";
  AppendDecimalMillionths(bid_micros, &sum);
  CHECK(Contains(page, sum + "\n"));
  // The demo request has one banner imp.
  CHECK(Contains(page, "vetrina_bid_requests_by_media_total{media=\"banner\"} 1\n"));
  CHECK(Contains(page, "vetrina_bid_requests_by_media_total{media=\"video\"} 0\n"));

  auto [path, query] = NoticeTarget(std::string_view(bid["nurl"]), "0.5");
  REQUIRE(h.Call(http::Method::kGet, path, query, "").status == 200);
  REQUIRE(h.Call(http::Method::kGet, path, query, "").status == 200);  // a duplicate: no spend
  page = h.bidder->metrics().Render({});
  std::string spend = "vetrina_spend_usd_total{kind=\"win\"} ";
  AppendDecimalMillionths(engine::ImpressionCost(500'000), &spend);
  CHECK(Contains(page, spend + "\n"));
  CHECK(Contains(page, "vetrina_notices_total{kind=\"win\",result=\"charged\"} 1\n"));
  CHECK(Contains(page, "vetrina_requests_total{endpoint=\"notice\",code=\"200\"} 2\n"));
}

TEST_CASE("a fleet node that cannot reach its spend log answers notices 503, retry after 1 s") {
  vetrina::testing::LogCapture log(LogLevel::kInfo);
  money::SpendWriter::Options options;
  options.open_log = vetrina::testing::UnreachableLogOpener();
  options.node_id = "a";
  MoneyHarness h(std::move(options));
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", "", body);
  REQUIRE(r.status == 200);  // bids never wait on the shared store
  simdjson::dom::parser parser;
  simdjson::dom::element bid = parser.parse(r.body)["seatbid"].at(0)["bid"].at(0);
  const std::string campaign{std::string_view(bid["cid"])};
  auto [path, query] = NoticeTarget(std::string_view(bid["nurl"]), "0.5");
  http::HttpResponse win = h.Call(http::Method::kGet, path, query, "");
  CHECK(win.status == 503);
  CHECK(std::find(win.headers.begin(), win.headers.end(),
                  std::pair<std::string, std::string>{"Retry-After", "1"}) != win.headers.end());
  CHECK(h.money.ledger.FindAccount(campaign)->State(h.clock.Now()).daily_settled == 0);
  // Logged with the store's status, without the notice's token.
  const std::vector<std::string> failed = log.Lines("request_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].find("\"level\":\"warn\",\"event\":\"request_failed\",\"endpoint\":\"notice\","
                       "\"path\":\"/ev/win\",\"status\":503,\"error\":\"UNAVAILABLE: ") !=
        std::string::npos);
  CHECK(failed[0].find(query) == std::string::npos);
}

TEST_CASE("5xx answers are logged, at most 10 lines a second, counting those left out") {
  // A second of its own: the bound is per second of the logger's clock, across the process.
  vetrina::testing::LogCapture log(LogLevel::kInfo, absl::FromUnixSeconds(1'900'000'000));
  for (int i = 0; i < 15; ++i) {
    LogFailedRequest(Endpoint::kAdminApi, "/v1/campaigns/x", 503, "{\"error\":\"redis down\"}");
  }
  CHECK(log.Count("request_failed") == kFailedRequestLinesPerSecond);
  log.clock().Advance(absl::Seconds(1));
  LogFailedRequest(Endpoint::kAdminApi, "/v1/campaigns/x", 503, "{\"error\":\"redis down\"}");
  const std::vector<std::string> lines = log.Lines("request_failed");
  REQUIRE(lines.size() == kFailedRequestLinesPerSecond + 1);
  CHECK(lines.back().find("\"path\":\"/v1/campaigns/x\",\"status\":503,"
                          "\"error\":\"{\\\"error\\\":\\\"redis down\\\"}\",\"suppressed\":5}") !=
        std::string::npos);
}

TEST_CASE("access log: a sample of 1 logs every request, without its query string or body") {
  vetrina::testing::LogCapture log(LogLevel::kDebug);
  BidderOptions options;
  options.access_log_sample = 1;
  Harness h(std::move(options));
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  h.clock.Advance(absl::Microseconds(250));
  CHECK(h.Call(http::Method::kPost, "/openrtb2/bid", body, absl::Microseconds(250)).status == 200);
  http::HttpRequest pixel;
  pixel.method = http::Method::kGet;
  pixel.path = "/px";
  pixel.query = "adv=acme&uid=user-7f3e-distinctive&gdpr=1";
  pixel.received_at = h.clock.Now();
  http::HttpResponse pixel_response;
  h.handler->Handle(pixel, &pixel_response);
  CHECK(h.Call(http::Method::kGet, "/nope", "").status == 404);

  const std::vector<std::string> lines = log.Lines("access");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("\"level\":\"info\",\"event\":\"access\",\"method\":\"POST\","
                      "\"path\":\"/openrtb2/bid\",\"status\":200,\"latency_us\":250,") !=
        std::string::npos);
  CHECK(lines[0].find("\"endpoint\":\"bid\"}") != std::string::npos);
  CHECK(lines[1].find("\"method\":\"GET\",\"path\":\"/px\",\"status\":200,\"latency_us\":0,"
                      "\"bytes\":" +
                      std::to_string(pixel_response.body.size()) + ",\"endpoint\":\"pixel\"}") !=
        std::string::npos);
  CHECK(lines[2].find("\"path\":\"/nope\",\"status\":404,") != std::string::npos);
  // Nothing of the user reaches any line: not the pixel's query, not the bid request's device.
  for (const std::string& line : log.lines()) {
    INFO(line);
    CHECK(line.find("user-7f3e-distinctive") == std::string::npos);
    CHECK(line.find("uid=") == std::string::npos);
    CHECK(line.find("\"device\"") == std::string::npos);
  }
}

TEST_CASE("COPPA: a pixel event of a registered child-directed app is dropped, counted") {
  Harness h;
  auto market = std::make_shared<engine::MarketRules>();
  market->child_directed_apps = {"com.example.kids"};
  h.bidder.PublishMarket(market);
  auto pixel = [&](std::string_view query) {
    http::HttpRequest request;
    request.method = http::Method::kGet;
    request.path = "/px";
    request.query = query;
    request.received_at = h.clock.Now();
    http::HttpResponse response;
    h.handler->Handle(request, &response);
    CHECK(response.status == 200);
  };
  // This harness keeps no audiences: an event that may be stored reaches the advertiser check.
  pixel("a=acme&e=view&uid=u1&bundle=com.example.news");
  pixel("a=acme&e=view&uid=u1&bundle=com.example.kids");
  pixel("a=acme&e=view&uid=u1&coppa=1");
  const std::string metrics = h.bidder.metrics().Render({});
  CHECK(metrics.find("vetrina_pixel_events_total{result=\"unknown_advertiser\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("vetrina_pixel_events_total{result=\"restricted\"} 2\n") != std::string::npos);
}

TEST_CASE("access log: off at a sample of 0, and about the fraction asked for otherwise") {
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  for (double sample : {0.0, 0.25}) {
    vetrina::testing::LogCapture log(LogLevel::kDebug);
    BidderOptions options;
    options.access_log_sample = sample;
    Harness h(std::move(options));
    for (int i = 0; i < 400; ++i) h.Call(http::Method::kGet, "/nope", "");
    INFO(sample);
    if (sample == 0) {
      CHECK(log.Count("access") == 0);
    } else {
      CHECK(log.Count("access") > 60);
      CHECK(log.Count("access") < 140);
    }
  }
}

TEST_CASE("access log: a notice's line comes when its answer does, with the answer's status") {
  vetrina::testing::LogCapture log(LogLevel::kInfo);
  BidderOptions bidder_options;
  bidder_options.access_log_sample = 1;
  MoneyHarness h({}, std::move(bidder_options));
  const std::string body =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/examples/bid-request.json");
  http::HttpResponse r = h.Call(http::Method::kPost, "/openrtb2/bid", "", body);
  REQUIRE(r.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element bid = parser.parse(r.body)["seatbid"].at(0)["bid"].at(0);
  auto [path, query] = NoticeTarget(std::string_view(bid["nurl"]), "0.5");
  http::HttpResponse win = h.Call(http::Method::kGet, path, query, "");
  REQUIRE(win.status == 200);
  const std::vector<std::string> lines = log.Lines("access");
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].find("\"method\":\"GET\",\"path\":\"/ev/win\",\"status\":200,") !=
        std::string::npos);
  CHECK(lines[1].find("\"bytes\":" + std::to_string(win.body.size()) +
                      ",\"endpoint\":\"notice\"}") != std::string::npos);
  CHECK(lines[1].find(query) == std::string::npos);
}

TEST_CASE("without a spend journal notices are not served") {
  Harness h;
  CHECK(h.Call(http::Method::kGet, "/ev/win", "").status == 404);
}

TEST_CASE("admin: a fleet node that cannot reach Redis is ready but reports itself degraded") {
  vetrina::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::MoneyState money{absl::Seconds(60)};
  absl::Status store = absl::UnavailableError("redis redis://127.0.0.1:1/0: connection refused");
  Bidder bidder(clock, epoch, BidderOptions{},
                BidderServices{.money = &money,
                               .notice_secret = "n",
                               .user_secret = "u",
                               .fleet_health = [&store] { return store; }});
  AdminHandler admin(bidder);
  auto call = [&](std::string_view path) {
    http::HttpRequest request;
    request.method = http::Method::kGet;
    request.path = path;
    http::HttpResponse response;
    admin.Handle(request, &response);
    return response;
  };
  CHECK(call("/readyz").status == 503);  // loading comes first
  bidder.SetReady();
  http::HttpResponse degraded = call("/readyz");
  CHECK(degraded.status == 200);
  CHECK(degraded.body ==
        R"({"status":"degraded","reason":"redis redis://127.0.0.1:1/0: connection refused"})");
  CHECK(call("/metrics").body.find("vetrina_fleet_store_up 0\n") != std::string::npos);
  store = absl::OkStatus();
  CHECK(call("/readyz").body == R"({"status":"ready"})");
  CHECK(call("/metrics").body.find("vetrina_fleet_store_up 1\n") != std::string::npos);
}

TEST_CASE("admin: health, readiness and metrics") {
  vetrina::testing::LogCapture log(LogLevel::kInfo);
  Harness h;
  AdminHandler admin(h.bidder);
  auto call = [&](http::Method method, std::string_view path) {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    http::HttpResponse response;
    admin.Handle(request, &response);
    return response;
  };
  CHECK(call(http::Method::kGet, "/healthz").status == 200);
  CHECK(call(http::Method::kGet, "/readyz").status == 503);
  h.bidder.SetReady();
  CHECK(call(http::Method::kGet, "/readyz").status == 200);
  http::HttpResponse metrics = call(http::Method::kGet, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type.rfind("text/plain", 0) == 0);
  CHECK(metrics.body.find("# TYPE vetrina_bid_latency_seconds histogram") != std::string::npos);
  CHECK(metrics.body.find("vetrina_fleet_store_up") == std::string::npos);  // a single node
  // The campaigns published at the harness's start, read at the injected clock's time.
  h.clock.Advance(absl::Seconds(42));
  const std::string page = call(http::Method::kGet, "/metrics").body;
  CHECK(page.find("vetrina_snapshot_age_seconds{snapshot=\"campaigns\"} 42.000000\n") !=
        std::string::npos);
  CHECK(page.find("vetrina_snapshot_age_seconds{snapshot=\"market\"} 42.000000\n") !=
        std::string::npos);
  CHECK(page.find("vetrina_catalog_campaigns 0\n") == std::string::npos);
  CHECK(page.find("process_open_fds ") != std::string::npos);
  CHECK(page.find("vetrina_build_info{") != std::string::npos);
  CHECK(page.find("vetrina_fsync_seconds") == std::string::npos);  // no journal timed here
  CHECK(call(http::Method::kPost, "/metrics").status == 405);
  CHECK(call(http::Method::kGet, "/nope").status == 404);
  CHECK(log.Count("request_failed") == 0);  // a loading node's 503 on /readyz is no failure
}

}  // namespace
}  // namespace vetrina::service
