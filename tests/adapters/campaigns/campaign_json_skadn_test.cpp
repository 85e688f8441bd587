#include <catch2/catch.hpp>

#include "adapters/campaigns/campaign_json.h"

namespace vetrina::campaigns {
namespace {

std::string Campaign(const std::string& fields) {
  return R"({"id": "c1", "advertiser": "adv", "status": "active",
    "bid": {"strategy": "cpm", "max_bid": 2.5, "currency": "USD"}, )" +
         fields +
         R"("creatives": [{"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]})";
}

std::vector<std::string> Problems(const std::string& json) {
  std::vector<Problem> problems;
  absl::StatusOr<engine::Campaign> c = ParseCampaign(json, &problems);
  std::vector<std::string> lines;
  for (const Problem& p : problems) lines.push_back(p.pointer + ": " + p.message);
  return lines;
}

TEST_CASE("SKAdNetwork: the App Store id, campaign id and source identifier") {
  absl::StatusOr<engine::Campaign> c = ParseCampaign(Campaign(
      R"("itunesitem": "123456789", "skadn_campaign": 45, "skadn_source_identifier": 0, )"));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->itunes_item == "123456789");
  CHECK(c->skadn_campaign == 45);
  CHECK(c->skadn_source_identifier == 0);

  c = ParseCampaign(Campaign(""));
  REQUIRE(c.ok());
  CHECK(c->itunes_item.empty());  // no SKAdNetwork answers
  CHECK(c->skadn_campaign == 0);
  CHECK(c->skadn_source_identifier == -1);
}

TEST_CASE("SKAdNetwork ids out of Apple's ranges are reported by JSON pointer") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      // Apple: an App Store id is a number.
      {R"("itunesitem": "id123456789", )", "/itunesitem: must be the App Store id: decimal digits"},
      {R"("itunesitem": 123456789, )", "/itunesitem: must be a string"},
      // Apple: campaign ids run 1..100.
      {R"("itunesitem": "1", "skadn_campaign": 0, )", "/skadn_campaign: must be >= 1"},
      {R"("itunesitem": "1", "skadn_campaign": 101, )", "/skadn_campaign: must be <= 100"},
      // Apple: a source identifier has at most four digits.
      {R"("itunesitem": "1", "skadn_source_identifier": 10000, )",
       "/skadn_source_identifier: must be <= 9999"},
      // Without the advertised app there is nothing to attribute.
      {R"("skadn_source_identifier": 4321, )",
       "/itunesitem: required with skadn_campaign or skadn_source_identifier"},
  };
  for (const auto& [fields, problem] : rows) {
    INFO(fields);
    CHECK(Problems(Campaign(fields)) == std::vector<std::string>{problem});
  }
}

}  // namespace
}  // namespace vetrina::campaigns
