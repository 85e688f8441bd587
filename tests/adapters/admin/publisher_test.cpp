#include "adapters/admin/publisher.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "../../support/temp_dir.h"
#include "adapters/campaigns/audience_json.h"
#include "adapters/campaigns/campaign_json.h"

namespace vetrina::admin {
namespace {

using vetrina::testing::TempDir;

const Principal kAcme{.admin = false, .advertiser = "acme"};

CampaignEntry Entry(const std::string& id) {
  const std::string json = R"({"id": ")" + id + R"(", "advertiser": "acme", "status": "active",
    "bid": {"strategy": "cpm", "max_bid": 2.5, "currency": "USD"},
    "adomain": ["acme.example"], "cat": ["IAB17"],
    "creatives": [{"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]})";
  absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(json);
  REQUIRE(campaign.ok());
  return CampaignEntry{std::make_shared<const engine::Campaign>(*std::move(campaign)), json};
}

// A catalog with one advertiser, and what its publisher published last.
struct Fixture {
  TempDir dir;
  ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  CatalogPtr catalog;
  std::unique_ptr<const engine::CampaignSet> published;
  int publishes = 0;

  Fixture() {
    std::string token;
    absl::StatusOr<CatalogPtr> opened = Catalog::Open(dir.path.string(), &token);
    REQUIRE(opened.ok());
    catalog = *std::move(opened);
    REQUIRE(catalog->CreateAdvertiser("acme").ok());
  }
  CampaignPublisher::PublishFn Sink() {
    return [this](std::unique_ptr<const engine::CampaignSet> set) {
      published = std::move(set);
      ++publishes;
    };
  }
  void Put(const std::string& id) {
    std::vector<CampaignEntry> entries{Entry(id)};
    REQUIRE(catalog->PutCampaigns(kAcme, std::move(entries)).ok());
  }
};

TEST_CASE("a change is published as a delta on the base; deletes hide base entries") {
  Fixture f;
  f.Put("c1");
  CampaignPublisher publisher(*f.catalog, f.Sink(), f.clock);
  publisher.PublishNow();
  CHECK(publisher.rebases() == 1);
  REQUIRE(f.published != nullptr);
  CHECK(f.published->Find("c1") != nullptr);

  f.Put("c2");
  REQUIRE(f.catalog->DeleteCampaign(kAcme, "c1").ok());
  publisher.PublishNow();
  CHECK(publisher.rebases() == 1);  // a delta, not a rebuild
  CHECK(f.published->Find("c1") == nullptr);
  CHECK(f.published->Find("c2") != nullptr);
  CHECK(f.published->size() == 1);
  CHECK(publisher.published_version() == f.catalog->version());
}

TEST_CASE("the base is rebuilt once it is older than rebase_after, on the injected clock") {
  Fixture f;
  f.Put("c1");
  CampaignPublisher publisher(*f.catalog, f.Sink(), f.clock,
                              PublisherOptions{.rebase_after = absl::Seconds(60)});
  publisher.PublishNow();
  REQUIRE(publisher.rebases() == 1);

  f.clock.Advance(absl::Seconds(59));
  f.Put("c2");
  publisher.PublishNow();
  CHECK(publisher.rebases() == 1);

  f.clock.Advance(absl::Seconds(2));  // the base is now 61 s old by the clock it was given
  f.Put("c3");
  publisher.PublishNow();
  CHECK(publisher.rebases() == 2);
  CHECK(f.published->size() == 3);
  CHECK(f.publishes == 3);
}

TEST_CASE("a large delta is folded into a new base") {
  Fixture f;
  f.Put("base");
  CampaignPublisher publisher(*f.catalog, f.Sink(), f.clock,
                              PublisherOptions{.min_rebase_delta = 3});
  publisher.PublishNow();
  for (int i = 0; i < 3; ++i) f.Put("c" + std::to_string(i));
  publisher.PublishNow();
  CHECK(publisher.rebases() == 1);  // 3 changes: not more than min_rebase_delta
  f.Put("c3");
  publisher.PublishNow();
  CHECK(publisher.rebases() == 2);
  CHECK(f.published->size() == 5);
}

TEST_CASE("audience definitions have their own publication, in change order") {
  Fixture f;
  std::vector<std::shared_ptr<const engine::AudienceRegistry>> seen;
  f.catalog->OnAudiencesChange(
      [&seen](std::shared_ptr<const engine::AudienceRegistry> r) { seen.push_back(std::move(r)); });
  REQUIRE(seen.size() == 1);  // the current registry, at once
  CHECK(seen[0]->advertisers.contains("acme"));

  const std::string json =
      R"({"name": "Carts", "kind": "pixel", "ttl_days": 30, "rule": {"events": ["add_to_cart"]}})";
  absl::StatusOr<engine::Audience> audience = campaigns::ParseAudience(json, "carts", "acme");
  REQUIRE(audience.ok());
  absl::StatusOr<engine::Audience> stored = f.catalog->PutAudience(kAcme, *audience, json);
  REQUIRE(stored.ok());
  REQUIRE(seen.size() == 2);
  const std::string* name = seen[1]->Name(stored->segment);
  REQUIRE(name != nullptr);
  CHECK(*name == "acme/carts");
  CHECK(seen[1]->pixel_audiences.at("acme").size() == 1);

  REQUIRE(f.catalog->CreateAdvertiser("globex").ok());
  REQUIRE(seen.size() == 3);
  CHECK(seen[2]->advertisers.contains("globex"));

  f.Put("c1");  // a campaign change is not an audience change
  CHECK(seen.size() == 3);
}

}  // namespace
}  // namespace vetrina::admin
