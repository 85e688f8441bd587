#include "engine/core/targeting.h"

#include <catch2/catch.hpp>

namespace vetrina::engine {
namespace {

// 2027-01-04 was a Monday.
const absl::Time kMonday = absl::FromCivil(absl::CivilHour(2027, 1, 4, 0), absl::UTCTimeZone());

TEST_CASE("versions compare numerically, component by component") {
  CHECK(ParseVersion("17.4.1") == Version{17, 4, 1});
  CHECK(ParseVersion("10") == Version{10});
  CHECK(ParseVersion("9.x") == Version{9});
  CHECK(ParseVersion("").empty());
  CHECK(CompareVersions({10}, {9, 9}) > 0);
  CHECK(CompareVersions({17, 0}, {17}) == 0);
  CHECK(CompareVersions({16, 4}, {16, 10}) < 0);
}

TEST_CASE("hour of week follows the user's UTC offset") {
  BidRequest r;
  CHECK(MakeRequestFacts(r, kMonday, nullptr).hour_of_week == 0);
  CHECK(MakeRequestFacts(r, kMonday + absl::Hours(30), nullptr).hour_of_week == 30);
  r.device.utc_offset_minutes = -60;  // Sunday 23:00 locally
  CHECK(MakeRequestFacts(r, kMonday, nullptr).hour_of_week == 167);
}

TEST_CASE("each dimension excludes with its own reason") {
  BidRequest r;
  r.device.country = "USA";
  r.device.region = "CA";
  r.device.os = "ios";
  r.device.os_version = "16.2";
  r.device.device_type = 4;
  r.device.connection_type = 2;
  r.device.language = "en";
  r.publication.bundle = "com.a";
  r.publication.publisher_id = "p1";
  r.publication.categories = {"IAB1", "IAB9"};
  std::vector<std::string> segments = {"adv/buyers"};
  const RequestFacts facts = MakeRequestFacts(r, kMonday, &segments);
  CHECK(CheckTargeting(Targeting{}, facts) == NoBidReason::kNone);

  auto reason = [&](auto mutate) {
    Targeting t;
    mutate(t);
    return CheckTargeting(t, facts);
  };
  CHECK(reason([](Targeting& t) { t.region.include = {"NY"}; }) == NoBidReason::kTargetingRegion);
  CHECK(reason([](Targeting& t) { t.os_version.min = {17}; }) == NoBidReason::kTargetingOsVersion);
  CHECK(reason([](Targeting& t) {
          t.os_version.max = {16, 1};
        }) == NoBidReason::kTargetingOsVersion);
  CHECK(reason([](Targeting& t) { t.os_version = {{16}, {16, 9}}; }) == NoBidReason::kNone);
  CHECK(reason([](Targeting& t) { t.connection_type.exclude = {2}; }) ==
        NoBidReason::kTargetingConnectionType);
  CHECK(reason([](Targeting& t) { t.app_category.include = {"IAB9"}; }) == NoBidReason::kNone);
  CHECK(reason([](Targeting& t) { t.app_category.exclude = {"IAB9"}; }) ==
        NoBidReason::kTargetingAppCategory);
  CHECK(reason([](Targeting& t) { t.publisher.include = {"p2"}; }) ==
        NoBidReason::kTargetingPublisher);
  CHECK(reason([](Targeting& t) { t.language.include = {"de"}; }) ==
        NoBidReason::kTargetingLanguage);
  CHECK(reason([](Targeting& t) {
          t.hour_of_week.include = {1, 2};
        }) == NoBidReason::kTargetingHourOfWeek);
  CHECK(reason([](Targeting& t) {
          t.audiences.any_of = {"adv/buyers", "adv/x"};
        }) == NoBidReason::kNone);
  CHECK(reason([](Targeting& t) {
          t.audiences.all_of = {"adv/buyers", "adv/x"};
        }) == NoBidReason::kTargetingAudience);
  CHECK(reason([](Targeting& t) { t.audiences.exclude = {"adv/buyers"}; }) ==
        NoBidReason::kTargetingAudience);
  // Without user data, audience targeting never matches.
  Targeting needs_audience;
  needs_audience.audiences.any_of = {"adv/buyers"};
  CHECK(CheckTargeting(needs_audience, MakeRequestFacts(r, kMonday, nullptr)) ==
        NoBidReason::kTargetingAudience);
}

TEST_CASE("imp-level targeting: placement, size, deals") {
  Imp rewarded;
  rewarded.rewarded = true;
  rewarded.video.emplace();
  rewarded.video->size = {1280, 720};
  Imp banner;
  banner.banner.emplace();
  banner.banner->sizes = {{320, 50}};
  banner.deals = {{.id = "deal-1", .wseat = {}}};

  CHECK(ImpPlacements(rewarded) == std::vector<Placement>{Placement::kRewarded});
  CHECK(ImpPlacements(banner) == std::vector<Placement>{Placement::kBanner});
  Targeting t;
  t.placement.include = {Placement::kRewarded};
  CHECK(CheckImpTargeting(t, rewarded) == NoBidReason::kNone);
  CHECK(CheckImpTargeting(t, banner) == NoBidReason::kTargetingPlacement);
  t = Targeting{};
  t.size.include = {"320x50"};
  CHECK(CheckImpTargeting(t, banner) == NoBidReason::kNone);
  CHECK(CheckImpTargeting(t, rewarded) == NoBidReason::kTargetingSize);
  t = Targeting{};
  t.deal.include = {"deal-1"};
  CHECK(CheckImpTargeting(t, banner) == NoBidReason::kNone);
  CHECK(CheckImpTargeting(t, rewarded) == NoBidReason::kTargetingDeal);
}

}  // namespace
}  // namespace vetrina::engine
