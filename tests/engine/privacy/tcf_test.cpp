#include "engine/privacy/tcf.h"

#include <catch2/catch.hpp>
#include <random>

namespace vetrina::engine {
namespace {

TcfString RandomTcf(std::mt19937_64& rng) {
  auto pick = [&](int lo, int hi) { return static_cast<int>(lo + rng() % (hi - lo + 1)); };
  TcfString tc;
  tc.created =
      absl::FromUnixMillis(1'600'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000) * 100);
  tc.last_updated = tc.created + absl::Seconds(pick(0, 100000));
  tc.cmp_id = pick(1, 4095);
  tc.cmp_version = pick(0, 4095);
  tc.consent_screen = pick(0, 63);
  tc.consent_language = {static_cast<char>('A' + pick(0, 25)),
                         static_cast<char>('A' + pick(0, 25))};
  tc.vendor_list_version = pick(1, 4095);
  tc.tcf_policy_version = pick(2, 5);
  tc.is_service_specific = rng() & 1;
  tc.use_non_standard_texts = rng() & 1;
  tc.special_feature_opt_ins = static_cast<uint32_t>(rng() & 0xfff);
  tc.purpose_consents = static_cast<uint32_t>(rng() & 0xffffff);
  tc.purpose_legitimate_interests = static_cast<uint32_t>(rng() & 0xffffff);
  tc.purpose_one_treatment = rng() & 1;
  tc.publisher_country_code = {static_cast<char>('A' + pick(0, 25)), 'A'};
  auto vendors = [&](VendorSet* set, int max_id, bool dense) {
    set->max_vendor_id = max_id;
    int id = 1;
    while (id <= max_id) {
      const int run = dense ? pick(1, 3) : pick(1, 200);
      if (rng() & 1) set->Add(id, std::min(max_id, id + run - 1));
      id += run + pick(1, dense ? 2 : 300);
    }
  };
  vendors(&tc.vendor_consents, pick(0, 3000), rng() & 1);
  // The encoder writes max_vendor_id as the larger of the field and the last id present.
  if (!tc.vendor_consents.ranges().empty()) {
    tc.vendor_consents.max_vendor_id =
        std::max(tc.vendor_consents.max_vendor_id, tc.vendor_consents.ranges().back().second);
  }
  vendors(&tc.vendor_legitimate_interests, pick(0, 800), rng() & 1);
  for (int i = pick(0, 3); i > 0; --i) {
    PublisherRestriction pr{.purpose_id = pick(1, 24), .type = pick(0, 2), .vendors = {}};
    pr.vendors.Add(pick(1, 100), pick(101, 5000));
    tc.publisher_restrictions.push_back(pr);
  }
  if (rng() & 1) {
    tc.disclosed_vendors.emplace();
    vendors(&*tc.disclosed_vendors, pick(1, 1000), rng() & 1);
  }
  if (rng() & 1) {
    tc.publisher_tc = TcfString::PublisherTc{
        .purpose_consents = static_cast<uint32_t>(rng() & 0xffffff),
        .purpose_legitimate_interests = static_cast<uint32_t>(rng() & 0xffffff),
        .num_custom_purposes = pick(0, 10),
        .custom_purpose_consents = 0,
        .custom_purpose_legitimate_interests = 0};
    const uint64_t mask = (uint64_t{1} << tc.publisher_tc->num_custom_purposes) - 1;
    tc.publisher_tc->custom_purpose_consents = rng() & mask;
    tc.publisher_tc->custom_purpose_legitimate_interests = rng() & mask;
  }
  return tc;
}

TEST_CASE("encode then decode gives back every field, bitfield and range encodings alike") {
  std::mt19937_64 rng(17);
  for (int i = 0; i < 500; ++i) {
    const TcfString tc = RandomTcf(rng);
    const std::string text = EncodeTcf(tc);
    absl::StatusOr<TcfString> back = DecodeTcf(text);
    REQUIRE(back.ok());
    // Vendor sections come back with the max id the encoder wrote.
    TcfString expected = tc;
    auto max_of = [](const VendorSet& s) {
      return std::max(s.max_vendor_id, s.ranges().empty() ? 0 : s.ranges().back().second);
    };
    expected.vendor_legitimate_interests.max_vendor_id = max_of(tc.vendor_legitimate_interests);
    if (expected.disclosed_vendors) {
      expected.disclosed_vendors->max_vendor_id = max_of(*tc.disclosed_vendors);
    }
    INFO(text);
    CHECK(*back == expected);
    CHECK(EncodeTcf(*back) == text);  // canonical
  }
}

TEST_CASE("a range section decodes without expanding ids, even when it names 65535 vendors") {
  TcfString tc;
  tc.vendor_consents.Add(1, 65535);
  tc.vendor_consents.max_vendor_id = 65535;
  absl::StatusOr<TcfString> back = DecodeTcf(EncodeTcf(tc));
  REQUIRE(back.ok());
  CHECK(back->vendor_consents.Contains(1));
  CHECK(back->vendor_consents.Contains(65535));
  CHECK(back->vendor_consents.ranges().size() == 1);
}

TEST_CASE("out-of-order and overlapping range entries merge") {
  VendorSet s;
  s.Add(50, 60);
  s.Add(10, 20);
  s.Add(15, 55);
  s.Add(70, 70);
  s.Normalize();
  CHECK(s.ranges() == std::vector<std::pair<int, int>>{{10, 60}, {70, 70}});
  CHECK(s.Contains(10));
  CHECK(s.Contains(60));
  CHECK_FALSE(s.Contains(61));
  CHECK_FALSE(s.Contains(9));
}

TEST_CASE("malformed strings are errors, never crashes") {
  for (std::string_view bad : {"", "!!!", "A", "CO", "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA",
                               "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA.",
                               "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA.Z",
                               "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA.IAAA.IAAA"}) {
    INFO(bad);
    CHECK_FALSE(DecodeTcf(bad).ok());
  }
  // Every prefix of a valid string either decodes or is refused.
  const std::string good = "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA";
  REQUIRE(DecodeTcf(good).ok());
  for (size_t n = 0; n < good.size(); ++n) (void)DecodeTcf(good.substr(0, n));
}

TEST_CASE("TCF 2.3: which strings must disclose vendors, and whom they disclose") {
  const absl::Time deadline = absl::FromUnixSeconds(kTcf23DeadlineUnixSeconds);
  CHECK(absl::FormatTime("%Y-%m-%d %H:%M:%S", deadline, absl::UTCTimeZone()) ==
        "2026-02-28 00:00:00");
  TcfString tc;
  tc.tcf_policy_version = 4;
  tc.created = deadline - absl::Milliseconds(100);  // the last decisecond before
  CHECK_FALSE(tc.RequiresDisclosedVendors());
  CHECK(tc.VendorDisclosed(32));  // a TCF 2.2 string without the segment discloses everyone
  tc.created = deadline;
  CHECK(tc.RequiresDisclosedVendors());
  CHECK_FALSE(tc.VendorDisclosed(32));
  tc.created = deadline - absl::Hours(24 * 365);
  tc.tcf_policy_version = kTcf23PolicyVersion;
  CHECK(tc.RequiresDisclosedVendors());
  CHECK_FALSE(tc.VendorDisclosed(32));
  tc.disclosed_vendors.emplace();
  tc.disclosed_vendors->Add(30, 40);
  CHECK(tc.VendorDisclosed(32));
  CHECK_FALSE(tc.VendorDisclosed(41));
  // A TCF 2.2 string with the segment is held to it too.
  tc.tcf_policy_version = 2;
  CHECK_FALSE(tc.VendorDisclosed(41));
}

}  // namespace
}  // namespace vetrina::engine
