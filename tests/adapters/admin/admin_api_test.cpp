#include "adapters/admin/admin_api.h"

#include <catch2/catch.hpp>
#include <string>

#include "../../support/files.h"
#include "../../support/log_capture.h"
#include "../../support/temp_dir.h"

namespace vetrina::admin {
namespace {

bool HasRetryAfter(const http::HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Retry-After") return value == "1";
  }
  return false;
}

TEST_CASE("a refused or failed catalog call maps to one HTTP status", "[admin_api]") {
  struct Row {
    const char* rule;
    absl::Status status;
    int http;
    bool retry_after;
  };
  const Row rows[] = {
      {"a bad id or body is the caller's error", absl::InvalidArgumentError("bad"), 400, false},
      {"another advertiser's name is forbidden", absl::PermissionDeniedError("no"), 403, false},
      {"absent or not yours is not found", absl::NotFoundError("gone"), 404, false},
      {"an existing advertiser conflicts", absl::AlreadyExistsError("dup"), 409, false},
      {"too large", absl::ResourceExhaustedError("big"), 413, false},
      {"RFC 9110 §15.6.4: Redis down, retry later", absl::UnavailableError("down"), 503, true},
      {"RFC 9110 §15.6.4: Redis slow, retry later", absl::DeadlineExceededError("slow"), 503, true},
      {"anything else is the server's fault", absl::InternalError("bug"), 500, false},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    http::HttpResponse response;
    SetStatusError(row.status, &response);
    CHECK(response.status == row.http);
    CHECK(HasRetryAfter(response) == row.retry_after);
    CHECK(response.body.find(std::string(row.status.message())) != std::string::npos);
  }
}

// The catalog and the admin API over it, as `vetrina serve` wires them, called without sockets.
struct ApiHarness {
  vetrina::testing::TempDir dir;
  vetrina::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  engine::EpochDomain epoch;
  engine::MoneyState money{absl::Seconds(60)};
  std::string admin_token;
  CatalogPtr catalog;
  std::unique_ptr<service::Bidder> bidder;
  std::unique_ptr<AdminApi> api;

  ApiHarness() {
    absl::StatusOr<CatalogPtr> opened = Catalog::Open(dir.path.string(), &admin_token);
    REQUIRE(opened.ok());
    catalog = *std::move(opened);
    bidder = std::make_unique<service::Bidder>(
        clock, epoch, service::BidderOptions{},
        service::BidderServices{.money = &money, .notice_secret = "n", .user_secret = "u"});
    api = std::make_unique<AdminApi>(*catalog, *bidder);
  }

  http::HttpResponse Call(http::Method method, std::string_view path, const std::string& token,
                          std::string_view body = "", std::string_view query = "") {
    const std::string authorization = "Bearer " + token;
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.body = body;
    request.authorization = authorization;
    request.received_at = clock.Now();
    http::HttpResponse response;
    api->Handle(request, &response);
    return response;
  }
};

bool Has(const std::string& line, std::string_view part) {
  return line.find(part) != std::string::npos;
}

TEST_CASE("a write to a sub-resource is audited under its owner's id", "[admin_api]") {
  vetrina::testing::LogCapture log(LogLevel::kInfo);
  ApiHarness h;
  // Refused (no such audience), and still audited, under the audience's own id.
  REQUIRE(h.Call(http::Method::kPost, "/v1/audiences/crm/members", h.admin_token, "").status >=
          400);
  const std::vector<std::string> audit = log.Lines("audit");
  REQUIRE(audit.size() == 1);
  CHECK(Has(audit[0], "\"kind\":\"audience_members\""));
  CHECK(Has(audit[0], "\"id\":\"crm\""));
}

TEST_CASE("every change is audited with who, what, its status and the versions around it",
          "[admin_api]") {
  vetrina::testing::LogCapture log(LogLevel::kInfo);
  ApiHarness h;
  http::HttpResponse created =
      h.Call(http::Method::kPost, "/v1/advertisers", h.admin_token, R"({"id":"demo-sportswear"})");
  REQUIRE(created.status == 201);
  const std::string token =
      created.body.substr(created.body.find("\"token\":\"") + 9,
                          created.body.rfind('"') - created.body.find("\"token\":\"") - 9);
  std::string campaign = vetrina::testing::ReadFile(vetrina::testing::SourceDir() /
                                                    "schemas/examples/banner-sports-shoes.json");
  const std::string path = "/v1/campaigns/demo-banner-shoes";
  REQUIRE(h.Call(http::Method::kPut, path, token, campaign).status == 201);
  // Paused: an update.
  campaign.replace(campaign.find("\"active\""), 8, "\"paused\"");
  REQUIRE(h.Call(http::Method::kPut, path, token, campaign).status == 200);
  // Reads and dry runs change nothing and are not audited.
  REQUIRE(h.Call(http::Method::kGet, path, token).status == 200);
  REQUIRE(h.Call(http::Method::kPut, path, token, campaign, "dry_run=1").status == 200);
  REQUIRE(h.Call(http::Method::kDelete, path, token).status == 200);
  REQUIRE(h.Call(http::Method::kDelete, path, token).status == 404);
  REQUIRE(h.Call(http::Method::kPost, "/v1/campaigns:batch", h.admin_token, "[" + campaign + "]")
              .status == 200);

  const std::vector<std::string> audit = log.Lines("audit");
  REQUIRE(audit.size() == 6);
  for (const std::string& line : audit) {
    INFO(line);
    CHECK(Has(line, "\"ts\":\"2026-12-02T14:00:00.000Z\",\"level\":\"info\",\"event\":\"audit\""));
    CHECK_FALSE(Has(line, token));  // the advertiser's new token is never logged
    CHECK_FALSE(Has(line, h.admin_token));
  }
  CHECK(Has(audit[0],
            "\"who\":\"admin\",\"action\":\"create\",\"method\":\"POST\","
            "\"kind\":\"advertiser\",\"id\":\"demo-sportswear\",\"status\":201,"));
  CHECK(Has(audit[1],
            "\"who\":\"demo-sportswear\",\"action\":\"create\",\"method\":\"PUT\","
            "\"kind\":\"campaign\",\"id\":\"demo-banner-shoes\",\"status\":201,"));
  CHECK(Has(audit[2],
            "\"action\":\"update\",\"method\":\"PUT\",\"kind\":\"campaign\","
            "\"id\":\"demo-banner-shoes\",\"status\":200,"));
  CHECK(Has(audit[3], "\"action\":\"delete\",\"method\":\"DELETE\""));
  CHECK(Has(audit[4], "\"action\":\"refused\",\"method\":\"DELETE\""));
  CHECK(Has(audit[4], "\"status\":404,"));
  CHECK(Has(audit[5],
            "\"who\":\"admin\",\"action\":\"update\",\"method\":\"POST\","
            "\"kind\":\"campaign\",\"id\":\"demo-banner-shoes\",\"status\":200,"));
  // Each stored change moves the catalog's version by what the API reported; a refused one
  // leaves it.
  auto versions = [](const std::string& line) {
    const size_t before = line.find("\"version_before\":") + 17;
    const size_t after = line.find("\"version_after\":") + 16;
    return std::pair{std::stoull(line.substr(before)), std::stoull(line.substr(after))};
  };
  for (size_t i = 1; i < audit.size(); ++i) {
    INFO(audit[i]);
    CHECK(versions(audit[i]).first == versions(audit[i - 1]).second);
  }
  for (size_t i : {1, 2, 3, 5}) CHECK(versions(audit[i]).second > versions(audit[i]).first);
  CHECK(versions(audit[4]).second == versions(audit[4]).first);
  CHECK(versions(audit[5]).second == h.catalog->version());
}

}  // namespace
}  // namespace vetrina::admin
