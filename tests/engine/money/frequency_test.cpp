#include "engine/money/frequency.h"

#include <catch2/catch.hpp>

#include "engine/money/budget.h"
#include "engine/privacy/user_data.h"
#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::kDollar;

TEST_CASE("caps count impressions per user and campaign in calendar hours, days and weeks") {
  FrequencyStore store;
  Campaign c = BannerCampaign("c", kDollar);
  c.frequency_caps = {{.max = 2, .per = CapPeriod::kHour}, {.max = 3, .per = CapPeriod::kDay}};
  const absl::Time day = StartOfDay(DayOf(absl::FromUnixSeconds(1'800'000'000)));
  const absl::Time t = day + absl::Hours(10);
  const uint64_t user = 42;
  CHECK(store.Allows(user, c, t));
  store.Record(user, "c", t);
  store.Record(user, "c", t + absl::Minutes(5));
  CHECK_FALSE(store.Allows(user, c, t + absl::Minutes(10)));  // 2 this hour
  CHECK(store.Allows(user + 1, c, t));                        // another user
  Campaign other = c;
  other.id = "other";
  CHECK(store.Allows(user, other, t));               // another campaign
  CHECK(store.Allows(user, c, t + absl::Hours(1)));  // next hour
  store.Record(user, "c", t + absl::Hours(1));
  CHECK_FALSE(store.Allows(user, c, t + absl::Hours(2)));  // 3 today
  CHECK(store.Allows(user, c, t + absl::Hours(14)));       // tomorrow
  // Unknown users and uncapped campaigns are never capped.
  CHECK(store.Allows(0, c, t));
  store.Record(0, "c", t);
  CHECK(store.size() == 1);
}

TEST_CASE("a weekly cap spans days and resets on Monday; sweeping drops past weeks") {
  FrequencyStore store;
  Campaign c = BannerCampaign("c", kDollar);
  c.frequency_caps = {{.max = 2, .per = CapPeriod::kWeek}};
  // 2027-01-11 is a Monday.
  const absl::Time monday = absl::FromUnixSeconds(1'799'625'600);
  REQUIRE(absl::FormatTime("%a", monday, absl::UTCTimeZone()) == "Mon");
  store.Record(7, "c", monday + absl::Hours(1));
  store.Record(7, "c", monday + absl::Hours(50));
  CHECK_FALSE(store.Allows(7, c, monday + absl::Hours(24 * 6 + 23)));  // Sunday night
  CHECK(store.Allows(7, c, monday + absl::Hours(24 * 7)));             // next Monday
  CHECK(store.Sweep(monday + absl::Hours(24 * 6)) == 0);
  CHECK(store.Sweep(monday + absl::Hours(24 * 7)) == 1);
  CHECK(store.size() == 0);
}

TEST_CASE("retention: a count lasts at most the longest cap period, whenever it was made") {
  // Each hour of a week, recorded then swept a cap period later: always gone, and live while its
  // week lasts.
  const absl::Time monday = absl::FromUnixSeconds(1'800'230'400);  // 2027-01-18 00:00 UTC
  for (int hour = 0; hour < 7 * 24; ++hour) {
    INFO("hour " << hour);
    FrequencyStore store;
    const absl::Time at = monday + absl::Hours(hour);
    store.Record(42, "c", at);
    CHECK(store.Sweep(monday + absl::Hours(7 * 24) - absl::Seconds(1)) == 0);
    CHECK(store.Sweep(at + retention::kFrequencyCounts) == 1);
    CHECK(store.size() == 0);
  }
}

}  // namespace
}  // namespace vetrina::engine
