#include "engine/skadn/skadn.h"

#include <catch2/catch.hpp>
#include <functional>

namespace vetrina::engine {
namespace {

constexpr char kOurs[] = "example123.skadnetwork";

struct World {
  BidRequest request;
  Campaign campaign;
  World() {
    request.device.os = "ios";
    Imp& imp = request.imps.emplace_back();
    imp.skadn = SkadnRequest{.versions = {"2.0", "2.1", "2.2", "3.0", "4.0"},
                             .source_app = "880047117",
                             .network_ids = {"cdkw7geqsh.skadnetwork", kOurs}};
    campaign.itunes_item = "123456789";
    campaign.skadn_campaign = 45;
    campaign.skadn_source_identifier = 4321;
  }
  std::optional<SkadnAttribution> Decide(std::string_view ours = kOurs) const {
    return DecideSkadn(request, request.imps[0], campaign, ours);
  }
};

TEST_CASE("SKAdNetwork answers only when every side qualifies") {
  struct Row {
    const char* rule;
    std::function<void(World&)> change;
    bool answers;
  };
  const std::vector<Row> rows = {
      {"IAB skadn: an iOS request listing our id, a campaign with an App Store id", [](World&) {},
       true},
      {"iPadOS is iOS to SKAdNetwork", [](World& w) { w.request.device.os = "ipados"; }, true},
      {"IAB skadn: our id not among skadnetids",
       [](World& w) { w.request.imps[0].skadn->network_ids = {"cdkw7geqsh.skadnetwork"}; }, false},
      {"SKAdNetwork is iOS only: android", [](World& w) { w.request.device.os = "android"; },
       false},
      {"no imp.ext.skadn", [](World& w) { w.request.imps[0].skadn.reset(); }, false},
      {"Apple: source-app-id is signed; none given",
       [](World& w) { w.request.imps[0].skadn->source_app.clear(); }, false},
      {"a campaign without an App Store id", [](World& w) { w.campaign.itunes_item.clear(); },
       false},
      {"Apple: versions before 2.2 have no fidelity-type; we sign 2.2 and later only",
       [](World& w) {
         w.request.imps[0].skadn->versions = {"2.0", "2.1"};
       },
       false},
      {"Apple 4.0 signs a source identifier: a 4.0-only request, a campaign without one",
       [](World& w) {
         w.request.imps[0].skadn->versions = {"4.0"};
         w.campaign.skadn_source_identifier = -1;
       },
       false},
      {"Apple 2.2/3.0 sign a campaign id: a 3.0-only request, a campaign without one",
       [](World& w) {
         w.request.imps[0].skadn->versions = {"3.0"};
         w.campaign.skadn_campaign = 0;
       },
       false},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    World w;
    row.change(w);
    CHECK(w.Decide().has_value() == row.answers);
  }
  INFO("no SKAdNetwork id configured");
  CHECK_FALSE(World().Decide("").has_value());
}

TEST_CASE("the highest version both sides support, with its identifier") {
  World w;
  std::optional<SkadnAttribution> a = w.Decide("Example123.SKAdNetwork");
  REQUIRE(a);
  CHECK(a->version == SkadnVersion::k4_0);
  CHECK(a->source_identifier());
  CHECK(a->campaign_or_source == "4321");
  CHECK(a->network == "example123.skadnetwork");
  CHECK(a->itunes_item == "123456789");
  CHECK(a->source_app == "880047117");

  w.campaign.skadn_source_identifier = -1;  // no 4.0 for this campaign: 3.0 with its campaign id
  a = w.Decide();
  REQUIRE(a);
  CHECK(a->version == SkadnVersion::k3_0);
  CHECK_FALSE(a->source_identifier());
  CHECK(a->campaign_or_source == "45");

  w.request.imps[0].skadn->versions = {"2.2"};
  CHECK(w.Decide()->version == SkadnVersion::k2_2);
  w.request.imps[0].skadn->versions = {"3"};  // "3" and "3.0" are one version
  CHECK(w.Decide()->version == SkadnVersion::k3_0);
}

TEST_CASE("Apple's message: the fields in order, joined by U+2063") {
  const SkadnAttribution v3{.version = SkadnVersion::k3_0,
                            .network = kOurs,
                            .campaign_or_source = "45",
                            .itunes_item = "123456789",
                            .source_app = "880047117"};
  // U+2063 is e2 81 a3 in UTF-8.
  CHECK(SkadnSignedMessage(v3, SkadnFidelity::kViewThrough, "n-1", "1594406341232") ==
        "3.0\xe2\x81\xa3"
        "example123.skadnetwork\xe2\x81\xa3"
        "45\xe2\x81\xa3"
        "123456789\xe2\x81\xa3"
        "n-1\xe2\x81\xa3"
        "880047117\xe2\x81\xa3"
        "0\xe2\x81\xa3"
        "1594406341232");
  SkadnAttribution v4 = v3;
  v4.version = SkadnVersion::k4_0;
  v4.campaign_or_source = "4321";
  CHECK(SkadnSignedMessage(v4, SkadnFidelity::kStoreKitRendered, "n-2", "7") ==
        "4.0\xe2\x81\xa3"
        "example123.skadnetwork\xe2\x81\xa3"
        "4321\xe2\x81\xa3"
        "123456789\xe2\x81\xa3"
        "n-2\xe2\x81\xa3"
        "880047117\xe2\x81\xa3"
        "1\xe2\x81\xa3"
        "7");
}

}  // namespace
}  // namespace vetrina::engine
