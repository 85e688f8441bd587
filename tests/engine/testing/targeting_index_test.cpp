#include "engine/testing/targeting_index.h"

#include <catch2/catch.hpp>

#include "engine/auction/auction.h"
#include "engine/targeting/campaign_set.h"
#include "engine/testing/synthetic.h"

namespace vetrina::engine {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::vector<uint32_t> Ids(const TargetingIndex& index, const RequestFacts& facts) {
  TargetingIndex::Scratch scratch;
  std::vector<uint32_t> ids;
  index.Candidates(facts, &scratch, &ids);
  return ids;
}

TEST_CASE("conjunctions of includes and excludes") {
  Targeting us_ios, not_us, any, us_or_ca_android;
  us_ios.country.include = {"USA"};
  us_ios.os.include = {"ios"};
  not_us.country.exclude = {"USA"};
  us_or_ca_android.country.include = {"CAN", "USA"};
  us_or_ca_android.os.include = {"android"};
  TargetingIndex index({&us_ios, &not_us, &any, &us_or_ca_android, nullptr});

  BidRequest r;
  r.device.country = "USA";
  r.device.os = "ios";
  CHECK(Ids(index, MakeRequestFacts(r, kNow, nullptr)) == std::vector<uint32_t>{0, 2});
  r.device.country = "FRA";
  CHECK(Ids(index, MakeRequestFacts(r, kNow, nullptr)) == std::vector<uint32_t>{1, 2});
  r.device.country = "CAN";
  r.device.os = "android";
  CHECK(Ids(index, MakeRequestFacts(r, kNow, nullptr)) == std::vector<uint32_t>{1, 2, 3});
  r.device.country = "";  // unknown: no include list matches, exclude lists do not reject
  CHECK(Ids(index, MakeRequestFacts(r, kNow, nullptr)) == std::vector<uint32_t>{1, 2});
}

// A regression: an exclusion must win over an inclusion of another of the request's values, also
// when the inclusion is a short id list and the exclusion a bitset (a value many exclude).
TEST_CASE("bitmap index: exclusions win over inclusions of multi-valued attributes") {
  std::vector<Campaign> campaigns;
  for (int i = 0; i < 200; ++i) {
    Campaign c;
    c.id = "c" + std::to_string(i);
    c.max_bid_cpm = 1'000'000 - i;  // rank = i
    if (i == 0) c.targeting.app_category.include = {"IAB9"};
    if (i <= 10) c.targeting.app_category.exclude = {"IAB26"};
    campaigns.push_back(c);
  }
  CampaignSet set(std::move(campaigns));
  BidRequest r;
  r.publication.categories = {"IAB26", "IAB9"};
  CampaignSet::Scratch scratch;
  const RequestFacts facts = MakeRequestFacts(r, kNow, nullptr);
  set.Match(facts, &scratch);
  for (uint32_t rank = 0; rank <= 10; ++rank) {
    INFO(rank);
    CHECK_FALSE(scratch.base.matches.Test(rank));
  }
  CHECK(scratch.base.matches.Test(11));
  r.publication.categories = {"IAB9"};
  set.Match(MakeRequestFacts(r, kNow, nullptr), &scratch);
  CHECK(scratch.base.matches.Test(0));
}

TEST_CASE("audience any-of, all-of and exclude") {
  Targeting any_ab, all_ab, not_c;
  any_ab.audiences.any_of = {"x/a", "x/b"};
  all_ab.audiences.all_of = {"x/a", "x/b"};
  not_c.audiences.exclude = {"x/c"};
  TargetingIndex index({&any_ab, &all_ab, &not_c});
  BidRequest r;
  std::vector<std::string> a = {"x/a"}, ab = {"x/a", "x/b"}, abc = {"x/a", "x/b", "x/c"};
  CHECK(Ids(index, MakeRequestFacts(r, kNow, nullptr)) == std::vector<uint32_t>{2});
  CHECK(Ids(index, MakeRequestFacts(r, kNow, &a)) == std::vector<uint32_t>{0, 2});
  CHECK(Ids(index, MakeRequestFacts(r, kNow, &ab)) == std::vector<uint32_t>{0, 1, 2});
  CHECK(Ids(index, MakeRequestFacts(r, kNow, &abc)) == std::vector<uint32_t>{0, 1});
}

// Both indexes must return exactly what the brute-force scan returns, over many generated
// campaign sets and requests; and they must actually prune.
TEST_CASE("randomized: both indexes agree with the brute-force scan") {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    SyntheticWorld world(seed);
    std::vector<Campaign> campaigns = world.Campaigns(3000);
    // A base with a delta on top: the last 200 campaigns replaced or new, 50 deleted.
    std::vector<CampaignPtr> base_campaigns, changed;
    std::vector<std::string> removed;
    for (size_t k = 0; k < campaigns.size(); ++k) {
      auto c = std::make_shared<const Campaign>(campaigns[k]);
      if (k < 2800 || seed % 2 == 0) base_campaigns.push_back(c);
      if (k >= 2750 && seed % 2 == 1) {
        if (k < 2800)
          removed.push_back(c->id);
        else
          changed.push_back(c);
      }
    }
    auto base = std::make_shared<const CampaignSnapshot>(base_campaigns);
    CampaignSet snapshot(base, changed, removed);
    std::vector<const Targeting*> targetings;
    std::vector<const Campaign*> by_id;
    snapshot.ForEachCampaign([&](const Campaign& c) {
      targetings.push_back(&c.targeting);
      by_id.push_back(&c);
      return true;
    });
    TargetingIndex whang(targetings);
    size_t whang_candidates = 0, matches = 0;
    CampaignSet::Scratch scratch;
    TargetingIndex::Scratch whang_scratch;
    for (int i = 0; i < 400; ++i) {
      BidRequest request = world.Request();
      if (i % 5 == 0) request.bcat = {"IAB" + std::to_string(1 + i % 26)};
      std::vector<std::string> segments = world.UserSegments();
      // Spread requests over the flight windows and hours of the week.
      const absl::Time now = kNow + absl::Hours(i * 7);
      AuctionContext indexed{
          .now = now, .segments = &segments, .use_index = true, .scratch = &scratch};
      AuctionContext scan = indexed;
      scan.use_index = false;
      const RequestFacts facts = MakeRequestFacts(request, now, &segments);
      std::vector<const Campaign*> expected =
          EligibleCampaigns(request, snapshot, facts, scan, nullptr);
      std::vector<const Campaign*> bitmap =
          EligibleCampaigns(request, snapshot, facts, indexed, nullptr);
      INFO("seed " << seed << " request " << i);
      REQUIRE(bitmap == expected);

      std::vector<uint32_t> ids;
      whang.Candidates(facts, &whang_scratch, &ids);
      std::vector<const Campaign*> from_whang;
      for (uint32_t id : ids) {
        if (CheckCampaign(*by_id[id], request, facts, now) == NoBidReason::kNone) {
          from_whang.push_back(by_id[id]);
        }
      }
      REQUIRE(from_whang == expected);
      // The whole auction agrees too.
      AuctionResult a = RunAuction(request, snapshot, indexed);
      AuctionResult b = RunAuction(request, snapshot, scan);
      REQUIRE(a.bids.size() == b.bids.size());
      for (size_t k = 0; k < a.bids.size(); ++k) {
        CHECK(a.bids[k].campaign == b.bids[k].campaign);
        CHECK(a.bids[k].clearing_price == b.bids[k].clearing_price);
      }
      whang_candidates += ids.size();
      matches += expected.size();
    }
    INFO("seed " << seed);
    CHECK(matches > 0);
    CHECK(whang_candidates < 400u * 3000u / 4u);  // the Whang index prunes
  }
}

}  // namespace
}  // namespace vetrina::engine
