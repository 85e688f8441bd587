#include "engine/targeting/campaign_snapshot.h"

#include <catch2/catch.hpp>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

TEST_CASE("a snapshot orders campaigns by id and finds them") {
  CampaignSnapshot snapshot({testing::BannerCampaign("b", 1), testing::BannerCampaign("a", 1),
                             testing::BannerCampaign("c", 1)});
  REQUIRE(snapshot.size() == 3);
  CHECK(snapshot.campaign(0).id == "a");
  CHECK(snapshot.campaign(2).id == "c");
  REQUIRE(snapshot.Find("b") != nullptr);
  CHECK(snapshot.Find("b")->id == "b");
  CHECK(snapshot.Find("d") == nullptr);
  CHECK(snapshot.Find("") == nullptr);
}

}  // namespace
}  // namespace vetrina::engine
