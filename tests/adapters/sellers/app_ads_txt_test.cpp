#include "adapters/sellers/app_ads_txt.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace vetrina::sellers {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(VETRINA_FIXTURES_DIR) + "/sellers/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("ParseAppAdsTxt: ads.txt 1.1 §4.3, multiple systems and resellers") {
  UploadReport report;
  absl::StatusOr<engine::AppAdsTxt> file =
      ParseAppAdsTxt(Fixture("ads-txt-4.3-multiple-systems.txt"), &report);
  REQUIRE(file.ok());
  REQUIRE(file->records.size() == 5);
  CHECK(report.accepted == 5);
  CHECK(report.skipped == 0);
  const engine::AppAdsRecord& first = file->records[0];
  CHECK(first.ad_system_domain == "greenadexchange.com");
  CHECK(first.seller_account_id == "12345");
  CHECK(first.relationship == engine::SellerRelationship::kDirect);
  CHECK(first.certification_authority_id == "d75815a79");  // the trailing space trimmed
  CHECK(file->records[1].relationship == engine::SellerRelationship::kReseller);
  CHECK(file->records[2].certification_authority_id.empty());  // three fields
  CHECK(file->records[4].seller_account_id == "ABE679");       // the last line has no newline
}

TEST_CASE("ParseAppAdsTxt: ads.txt 1.1 §4.4, contact variables are not records") {
  UploadReport report;
  absl::StatusOr<engine::AppAdsTxt> file =
      ParseAppAdsTxt(Fixture("ads-txt-4.4-contact-records.txt"), &report);
  REQUIRE(file.ok());
  CHECK(file->records.size() == 2);
  CHECK(report.skipped == 0);
}

TEST_CASE("ParseAppAdsTxt: ads.txt 1.1 §4.8, OWNERDOMAIN and MANAGERDOMAIN") {
  UploadReport report;
  absl::StatusOr<engine::AppAdsTxt> file =
      ParseAppAdsTxt(Fixture("ads-txt-4.8-managerdomain.txt"), &report);
  REQUIRE(file.ok());
  CHECK(file->owner_domain == "mediacompany.com");
  CHECK(file->manager_domains ==
        std::vector<std::string>{"yellowmediamanager.com, FR", "bluemediamanager.com, US"});
  REQUIRE(file->records.size() == 1);
  CHECK(file->records[0].seller_account_id == "XF7342");
  CHECK(report.skipped == 0);
}

TEST_CASE("ParseAppAdsTxt: lenient lines, each bad one skipped and reported by number") {
  struct Row {
    const char* rule;
    const char* line;
    bool kept;
  };
  const Row rows[] = {
      {"ads.txt 1.1 §3.1: CRLF line ends", "a.com, 1, DIRECT\r", true},
      {"ads.txt 1.1 §3.2: a comment after a record", "a.com, 1, DIRECT # ours", true},
      {"ads.txt 1.1 §3.3: field #3 is case-insensitive", "a.com, 1, reseller", true},
      {"ads.txt 1.1 §3.2: an extension after ';'", "a.com, 1, DIRECT, abc; ext=1", true},
      {"ads.txt 1.1 §3.5: an unknown variable is ignored", "FUTUREVAR=something", true},
      {"ads.txt 1.1 §3.3: two fields are not a record", "a.com, 1", false},
      {"ads.txt 1.1 §3.3: five fields are not a record", "a.com, 1, DIRECT, x, y", false},
      {"ads.txt 1.1 §3.3: field #1 must be a domain", "not a domain, 1, DIRECT", false},
      {"ads.txt 1.1 §3.3: field #2 must not be empty", "a.com, , DIRECT", false},
      {"ads.txt 1.1 §3.3: field #3 is DIRECT or RESELLER", "a.com, 1, PARTNER", false},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    UploadReport report;
    const std::string text = std::string("b.com, 2, DIRECT\n") + row.line + "\nc.com, 3, DIRECT\n";
    absl::StatusOr<engine::AppAdsTxt> file = ParseAppAdsTxt(text, &report);
    REQUIRE(file.ok());
    const bool record = std::string(row.line).find('=') == std::string::npos ||
                        std::string(row.line).find(',') != std::string::npos;
    CHECK(report.skipped == (row.kept ? 0u : 1u));
    CHECK(file->records.size() == (row.kept && record ? 3u : 2u));
    if (!row.kept) {
      REQUIRE(report.problems.size() == 1);
      CHECK(report.problems[0].at == "line 2");
    }
  }
}

TEST_CASE("ParseAppAdsTxt: a byte order mark, upper-case domains, a NUL byte") {
  absl::StatusOr<engine::AppAdsTxt> file =
      ParseAppAdsTxt("\xEF\xBB\xBFGreenAdExchange.COM, X1, DIRECT", nullptr);
  REQUIRE(file.ok());
  REQUIRE(file->records.size() == 1);
  CHECK(file->records[0].ad_system_domain == "greenadexchange.com");
  CHECK(file->records[0].seller_account_id == "X1");  // ids keep their case
  CHECK(ParseAppAdsTxt(std::string("a.com, 1, DIRECT\n\0", 18), nullptr).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ParseAppAdsTxt: only the first kMaxProblems problems are listed, all are counted") {
  std::string text;
  for (size_t i = 0; i < UploadReport::kMaxProblems + 5; ++i) text += "bad line\n";
  UploadReport report;
  REQUIRE(ParseAppAdsTxt(text, &report).ok());
  CHECK(report.skipped == UploadReport::kMaxProblems + 5);
  CHECK(report.problems.size() == UploadReport::kMaxProblems);
}

TEST_CASE("IsValidSellersKey") {
  CHECK(IsValidSellersKey("com.example.app"));
  CHECK(IsValidSellersKey("1234567890"));
  CHECK(IsValidSellersKey("example.com"));
  CHECK_FALSE(IsValidSellersKey(""));
  CHECK_FALSE(IsValidSellersKey(".hidden"));
  CHECK_FALSE(IsValidSellersKey("a/b"));
  CHECK_FALSE(IsValidSellersKey(std::string(256, 'a')));
}

}  // namespace
}  // namespace vetrina::sellers
