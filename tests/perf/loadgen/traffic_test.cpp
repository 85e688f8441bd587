#include "perf/loadgen/traffic.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "adapters/openrtb/request_parser.h"

namespace vetrina::loadgen {
namespace {

TEST_CASE("generated requests are valid OpenRTB 2.6 with the intended mix") {
  TrafficModel model({.users = 1000,
                      .zipf_s = 1.0,
                      .restricted_share = 0.2,
                      .fixture_bodies = {},
                      .fixture_share = 0,
                      .tmax_ms = 35});
  std::mt19937_64 rng(9);
  openrtb::BidRequestParser parser(256 * 1024);
  std::map<std::string, int> kinds;
  int restricted = 0;
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    engine::BidRequest r;
    const std::string body = model.NextRequest(rng, i);
    absl::Status s = parser.Parse(body, &r);
    INFO(body);
    REQUIRE(s.ok());
    REQUIRE(r.imps.size() == 1);
    const engine::Imp& imp = r.imps[0];
    kinds[imp.native         ? "native"
          : imp.video        ? "video"
          : imp.interstitial ? "interstitial"
                             : "banner"]++;
    if (!r.regs.us_privacy.empty() || r.regs.gdpr == 1 || r.device.lmt == 1) ++restricted;
    ids.insert(r.id);
    CHECK(r.tmax_ms == 35);
  }
  CHECK(ids.size() == 2000);
  CHECK(kinds["banner"] > 800);
  CHECK(kinds["interstitial"] > 250);
  CHECK(kinds["video"] > 200);
  CHECK(kinds["native"] > 200);
  CHECK(restricted > 300);
  CHECK(restricted < 500);
}

TEST_CASE("users follow a Zipf distribution over stable ids") {
  ZipfSampler zipf(1'000'000, 1.0);
  std::mt19937_64 rng(1);
  int top = 0, tail = 0;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t u = zipf.Sample(rng);
    REQUIRE(u < 1'000'000);
    if (u == 0) ++top;
    if (u >= 500'000) ++tail;
  }
  // P(rank 0) = 1 / H(1e6) ≈ 6.9%; the upper half of ranks gets ln(2) / H ≈ 4.8%.
  CHECK(top > 6'000);
  CHECK(top < 8'000);
  CHECK(tail > 4'000);
  CHECK(tail < 5'600);
  CHECK(UserId(42) == UserId(42));
  CHECK(UserId(42) != UserId(43));
  CHECK(UserId(7).size() == 36);
}

}  // namespace
}  // namespace vetrina::loadgen
