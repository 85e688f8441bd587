#include "engine/targeting/campaign_set.h"

#include <catch2/catch.hpp>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::kDollar;

std::vector<std::string> Ids(const CampaignSet& set) {
  std::vector<std::string> ids;
  set.ForEachCampaign([&](const Campaign& c) {
    ids.push_back(c.id);
    return true;
  });
  return ids;
}

TEST_CASE("a delta replaces, adds and hides base campaigns, in rank order") {
  auto base = std::make_shared<const CampaignSnapshot>(
      std::vector<Campaign>{BannerCampaign("a", 3 * kDollar), BannerCampaign("b", 2 * kDollar),
                            BannerCampaign("c", kDollar)});
  CHECK(Ids(CampaignSet(base, {}, {})) == std::vector<std::string>{"a", "b", "c"});

  // "c" now bids 4 (replaced), "d" is new, "b" is deleted.
  std::vector<CampaignPtr> changed = {
      std::make_shared<const Campaign>(BannerCampaign("c", 4 * kDollar)),
      std::make_shared<const Campaign>(BannerCampaign("d", 2 * kDollar))};
  CampaignSet set(base, changed, {"c", "b"});
  CHECK(set.size() == 3);
  CHECK(set.delta_size() == 2);
  CHECK(Ids(set) == std::vector<std::string>{"c", "a", "d"});
  REQUIRE(set.Find("c") != nullptr);
  CHECK(set.Find("c")->max_bid_cpm == 4 * kDollar);
  CHECK(set.Find("b") == nullptr);
  CHECK(set.Find("a") != nullptr);

  BidRequest request = testing::BannerRequest();
  CampaignSet::Scratch scratch;
  const RequestFacts facts = MakeRequestFacts(request, absl::UnixEpoch(), nullptr);
  set.Match(facts, &scratch);
  std::vector<std::string> eligible;
  set.ForEachEligible(scratch, request, facts, absl::UnixEpoch(), [&](const Campaign& c) {
    eligible.push_back(c.id);
    return eligible.size() < 2;  // stops when asked
  });
  CHECK(eligible == std::vector<std::string>{"c", "a"});
}

}  // namespace
}  // namespace vetrina::engine
