#include "adapters/openrtb/request_parser.h"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include "../../support/files.h"
#include "base/strings.h"

namespace vetrina::openrtb {
namespace {

using vetrina::testing::Fixture;

engine::BidRequest MustParse(const std::string& json) {
  BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  absl::Status status = parser.Parse(json, &request);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return request;
}

TEST_CASE("parses the OpenRTB 2.6 mobile example") {
  engine::BidRequest r = MustParse(Fixture("openrtb/iab/bid-request-2.6-mobile.json"));
  CHECK(r.id == "IxexyLDIIk");
  CHECK(r.auction_type == 2);
  CHECK(r.bcat == std::vector<std::string>{"IAB25", "IAB7-39", "IAB8-18", "IAB8-5", "IAB9-9"});
  CHECK(r.badv == std::vector<std::string>{"apple.com", "go-text.me", "heywire.com"});
  REQUIRE(r.imps.size() == 1);
  const engine::Imp& imp = r.imps[0];
  CHECK(imp.id == "1");
  CHECK(imp.bid_floor == 500'000);
  CHECK(imp.bid_floor_currency == "USD");
  REQUIRE(imp.banner.has_value());
  CHECK(imp.banner->sizes == std::vector<engine::Size>{{728, 90}});
  CHECK(imp.banner->battr == std::vector<int>{14});
  CHECK(r.publication.channel == engine::DistributionChannel::kApp);
  CHECK(r.publication.bundle == "12345");
  CHECK(r.publication.publisher_id == "agltb3B1Yi1pbmNyDAsSA0FwcBiJkfTUCV");
  CHECK(r.device.os == "ios");  // lower-cased once at the edge
  CHECK(r.device.os_version == "6.1");
  CHECK(r.device.device_type == 1);
  CHECK(r.device.connection_type == 3);
  CHECK(r.device.ifa == "AA000DFE74168477C70D291f574D344790E0BB11");
  CHECK(r.device.dnt == 0);
  CHECK(r.user.id == "ffffffd5135596709273b3a1a07e466ea2bf4fff");
}

TEST_CASE("folds 2.5 extension locations into their 2.6 homes") {
  engine::BidRequest r = MustParse(R"({
    "id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50},
                        "ext": {"prebid": {"is_rewarded_inventory": 1}}}],
    "regs": {"ext": {"gdpr": 1, "us_privacy": "1YNN"}},
    "user": {"ext": {"consent": "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA",
                     "eids": [{"source": "id5-sync.com", "uids": [{"id": "ID5*abc"}]}]}},
    "source": {"ext": {"schain": {"complete": 1, "nodes": []}}}
  })");
  CHECK(r.regs.gdpr == 1);
  CHECK(r.regs.us_privacy == "1YNN");
  CHECK(r.user.consent == "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA");
  REQUIRE(r.user.eids.size() == 1);
  CHECK(r.user.eids[0].source == "id5-sync.com");
  CHECK(r.user.eids[0].ids == std::vector<std::string>{"ID5*abc"});
  CHECK(r.has_schain);
  CHECK(r.imps[0].rewarded);
}

TEST_CASE("2.6 fields win over the 2.5 extension") {
  engine::BidRequest r = MustParse(R"({
    "id": "r", "imp": [{"id": "1", "banner": {"w": 1, "h": 1}}],
    "regs": {"gdpr": 0, "us_privacy": "1---", "ext": {"gdpr": 1, "us_privacy": "1YYY"}},
    "user": {"consent": "new", "ext": {"consent": "old"}}
  })");
  CHECK(r.regs.gdpr == 0);
  CHECK(r.regs.us_privacy == "1---");
  CHECK(r.user.consent == "new");
}

TEST_CASE("reads banner formats, interstitial, rewarded video, deals and device extensions") {
  engine::BidRequest r = MustParse(R"({
    "id": "r", "at": 1, "tmax": 150, "cur": ["USD", "EUR"], "test": 1,
    "imp": [
      {"id": "a", "instl": 1, "banner": {"format": [{"w": 320, "h": 480}, {"w": 480, "h": 320}]}},
      {"id": "b", "rwdd": 1, "bidfloor": 2, "bidfloorcur": "EUR",
       "video": {"w": 640, "h": 360, "minduration": 5, "maxduration": 30, "mimes": ["video/mp4"]},
       "pmp": {"private_auction": 1, "deals": [{"id": "d1", "bidfloor": 3.5, "at": 3,
                                               "wseat": ["s1"]}]}}
    ],
    "device": {"ifa": "x", "lmt": 1, "ext": {"ifv": "v", "atts": 2}, "language": "EN",
               "geo": {"country": "usa", "region": "CA"}}
  })");
  CHECK(r.auction_type == 1);
  CHECK(r.tmax_ms == 150);
  CHECK(r.test);
  CHECK(r.currencies == std::vector<std::string>{"USD", "EUR"});
  CHECK(r.imps[0].interstitial);
  CHECK(r.imps[0].banner->sizes == std::vector<engine::Size>{{320, 480}, {480, 320}});
  CHECK(r.imps[1].rewarded);
  CHECK(r.imps[1].bid_floor == 2'000'000);
  CHECK(r.imps[1].bid_floor_currency == "EUR");
  CHECK(r.imps[1].video->max_duration == 30);
  CHECK(r.imps[1].private_auction);
  REQUIRE(r.imps[1].deals.size() == 1);
  CHECK(r.imps[1].deals[0].floor == 3'500'000);
  CHECK(r.imps[1].deals[0].auction_type == 3);
  CHECK(r.device.lmt == 1);
  CHECK(r.device.ifv == "v");
  CHECK(r.device.atts == 2);
  CHECK(r.device.language == "en");
  CHECK(r.device.country == "USA");
}

TEST_CASE("imp.secure: 1 asks for https URLs, absent or 0 does not (OpenRTB 2.6 §3.2.4)") {
  engine::BidRequest r = MustParse(R"({"id": "r", "imp": [
      {"id": "a", "secure": 1, "banner": {"w": 320, "h": 50}},
      {"id": "b", "secure": 0, "banner": {"w": 320, "h": 50}},
      {"id": "c", "banner": {"w": 320, "h": 50}}]})");
  CHECK(r.imps[0].secure);
  CHECK_FALSE(r.imps[1].secure);
  CHECK_FALSE(r.imps[2].secure);
}

TEST_CASE("parses a native imp's request string, 1.2 and the 1.0/1.1 wrapper") {
  engine::BidRequest r = MustParse(R"({"id": "r", "imp": [{"id": "1", "native": {"request":
    "{\"ver\":\"1.2\",\"assets\":[{\"id\":1,\"required\":1,\"title\":{\"len\":90}},{\"id\":2,\"img\":{\"type\":3,\"wmin\":100}}]}"
  }}]})");
  const engine::NativeRequest& n = r.imps[0].native->request;
  REQUIRE(n.assets.size() == 2);
  CHECK(n.assets[0].kind == engine::NativeAssetKind::kTitle);
  CHECK(n.assets[0].required);
  CHECK(n.assets[0].max_len == 90);
  CHECK(n.assets[1].kind == engine::NativeAssetKind::kImage);
  CHECK(n.assets[1].type == 3);
  CHECK_FALSE(n.assets[1].required);

  engine::BidRequest wrapped = MustParse(R"({"id": "r", "imp": [{"id": "1", "native": {"request":
    "{\"native\":{\"ver\":\"1.1\",\"assets\":[{\"id\":7,\"data\":{\"type\":2}}]}}"}}]})");
  CHECK(wrapped.imps[0].native->request.version == "1.1");
  REQUIRE(wrapped.imps[0].native->request.assets.size() == 1);
  CHECK(wrapped.imps[0].native->request.assets[0].kind == engine::NativeAssetKind::kData);
}

TEST_CASE("ignores unknown fields and enum values, at any depth") {
  engine::BidRequest r = MustParse(R"({
    "id": "r", "future_field": {"deep": [1, 2, {"x": null}]}, "at": 777,
    "imp": [{"id": "1", "banner": {"w": 1, "h": 1, "unknown": true}, "qty": {"multiplier": 1}}],
    "device": {"devicetype": 99, "sua": {"browsers": []}}
  })");
  CHECK(r.id == "r");
  CHECK(r.auction_type == 777);
  CHECK(r.device.device_type == 99);
}

TEST_CASE("accepts integral numbers written as floats") {
  engine::BidRequest r =
      MustParse(R"({"id": "r", "imp": [{"id": "1", "banner": {"w": 300.0, "h": 250}}]})");
  CHECK(r.imps[0].banner->sizes[0] == engine::Size{300, 250});
}

TEST_CASE("parses every valid shared fixture request") {
  // Each of these is a real request shape from the spec or Prebid Server's adapters.
  for (const auto& path :
       vetrina::testing::JsonFilesUnder(vetrina::testing::FixturesDir() / "openrtb")) {
    const std::string name = path.filename().string();
    if (name.rfind("bid-response", 0) == 0 || name == "bid-request-2.5-native-ad.json") continue;
    // Its only imp's native request is "{}": no assets (Native 1.2 §4.1), so nothing to bid on.
    if (name == "pangle__exemplary__app_native__0.json") continue;
    INFO(name);
    BidRequestParser parser(256 * 1024);
    engine::BidRequest request;
    absl::Status status = parser.Parse(vetrina::testing::ReadFile(path), &request);
    INFO(status.ToString());
    CHECK(status.ok());
    CHECK_FALSE(request.imps.empty());
  }
}

TEST_CASE("one parser is reused: nothing of one request leaks into the next") {
  BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  REQUIRE(parser.Parse(Fixture("openrtb/iab/bid-request-2.6-mobile.json"), &request).ok());
  REQUIRE(parser.Parse(R"({"id":"x","imp":[{"id":"1","banner":{"w":1,"h":1}}]})", &request).ok());
  CHECK(request.badv.empty());
  CHECK(request.device.ifa.empty());
  CHECK(request.imps.size() == 1);
  CHECK(request.imps[0].bid_floor == 0);
}

TEST_CASE("reads the VAST protocols a video imp accepts (OpenRTB 2.6 §3.2.7, list 5.8)") {
  engine::BidRequest r = MustParse(R"({
    "id": "r",
    "imp": [{"id": "a", "video": {"w": 1080, "h": 1920, "protocols": [2, 3, 7, 11]}},
            {"id": "b", "video": {"mimes": ["video/mp4"]}},
            {"id": "c", "video": {"protocol": 2}}]
  })");
  CHECK(r.imps[0].video->protocols == std::vector<int>{2, 3, 7, 11});
  CHECK(r.imps[0].video->size == engine::Size{1080, 1920});
  CHECK(r.imps[1].video->protocols.empty());  // absent: any
  // OpenRTB 2.5 §3.2.7's deprecated `protocol`: a player that speaks only VAST 2.0.
  CHECK(r.imps[2].video->protocols == std::vector<int>{2});
}

}  // namespace
}  // namespace vetrina::openrtb

namespace vetrina::openrtb {
namespace {

// A banner request whose `regs.ext.dsa` is `dsa` (JSON text).
std::string RequestWithDsa(std::string_view dsa) {
  return StrCat(R"({"id":"r","imp":[{"id":"1","banner":{"w":320,"h":50}}],"regs":{"ext":{"dsa":)",
                dsa, "}}}");
}

TEST_CASE("reads regs.ext.dsa as the DSA Transparency extension's sample request states it") {
  // tests/fixtures/dsa/request_dsa.json "iab-sample-online-platform".
  engine::BidRequest r = MustParse(R"({
    "id": "80ce30c53c16e6ede735f123ef6e32361bfc7b22", "at": 1, "cur": ["USD"],
    "regs": {"ext": {"dsa": {"dsarequired": 3, "pubrender": 0, "datatopub": 2,
      "transparency": [{"domain": "platform1domain.com", "dsaparams": [1]},
                       {"domain": "SSP2domain.com", "dsaparams": [1, 2]}]}}},
    "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
    "site": {"id": "102855"},
    "user": {"id": "55816b39711f9b5acf3b90e313ed29e51665623f"}
  })");
  REQUIRE(r.regs.dsa.has_value());
  CHECK(r.regs.dsa->required == 3);
  CHECK(r.regs.dsa->pubrender == 0);
  CHECK(r.regs.dsa->datatopub == 2);
  CHECK(r.regs.dsa->transparency == std::vector<engine::DsaTransparency>{
                                        {"platform1domain.com", {1}}, {"SSP2domain.com", {1, 2}}});
}

TEST_CASE("every DSA fixture request parses to the values it states") {
  simdjson::dom::parser fixtures;
  simdjson::dom::element vectors;
  REQUIRE(fixtures.parse(Fixture("dsa/request_dsa.json")).get(vectors) == simdjson::SUCCESS);
  size_t count = 0;
  for (simdjson::dom::element vector : vectors.get_array()) {
    INFO(std::string_view(vector["name"]));
    ++count;
    simdjson::dom::element dsa = vector["regs_ext_dsa"];
    engine::BidRequest r = MustParse(RequestWithDsa(simdjson::minify(dsa)));
    REQUIRE(r.regs.dsa.has_value());
    CHECK(r.regs.dsa->required == int64_t(dsa["dsarequired"]));
    int64_t n = 0;
    if (dsa["pubrender"].get(n) == simdjson::SUCCESS) {
      CHECK(r.regs.dsa->pubrender == n);
    } else {
      CHECK_FALSE(r.regs.dsa->pubrender.has_value());
    }
    if (dsa["datatopub"].get(n) == simdjson::SUCCESS) {
      CHECK(r.regs.dsa->datatopub == n);
    } else {
      CHECK_FALSE(r.regs.dsa->datatopub.has_value());
    }
    simdjson::dom::array transparency;
    size_t entries = 0;
    if (dsa["transparency"].get(transparency) == simdjson::SUCCESS) {
      for (simdjson::dom::element entry : transparency) {
        REQUIRE(entries < r.regs.dsa->transparency.size());
        const engine::DsaTransparency& t = r.regs.dsa->transparency[entries++];
        CHECK(t.domain == std::string_view(entry["domain"]));
        std::vector<int> params;
        for (simdjson::dom::element p : entry["dsaparams"].get_array()) {
          params.push_back(static_cast<int>(int64_t(p)));
        }
        CHECK(t.params == params);
      }
    }
    CHECK(r.regs.dsa->transparency.size() == entries);
  }
  CHECK(count == 6);
}

TEST_CASE("regs.ext.dsa absent or null is no DSA signal; a wrong type is a 400 naming it") {
  CHECK_FALSE(MustParse(R"({"id":"r","imp":[{"id":"1","banner":{"w":1,"h":1}}]})").regs.dsa);
  CHECK_FALSE(MustParse(RequestWithDsa("null")).regs.dsa);
  CHECK(MustParse(RequestWithDsa("{}")).regs.dsa->required == 0);  // present: dsarequired 0
  BidRequestParser parser(256 * 1024);
  engine::BidRequest request;
  absl::Status s = parser.Parse(RequestWithDsa(R"({"dsarequired":"2"})"), &request);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() == "regs.ext.dsa.dsarequired: must be an integer");
  s = parser.Parse(RequestWithDsa(R"({"transparency":[{"dsaparams":[1,"x"]}]})"), &request);
  CHECK(s.message() == "regs.ext.dsa.transparency[0].dsaparams[1]: must be an integer");
}

std::string WithSource(const std::string& source) {
  return R"({"id": "r", "imp": [{"id": "1", "banner": {"w": 320, "h": 50}}],
             "app": {"bundle": "com.example.app"}, "source": )" +
         source + "}";
}

TEST_CASE("OpenRTB 2.6 §3.2.25: source.schain, the SupplyChain 1.0 resale example") {
  engine::BidRequest r = MustParse(
      WithSource(R"({"schain": )" + Fixture("sellers/schain-bidrequest2-resale.json") + "}"));
  REQUIRE(r.schain.has_value());
  CHECK(r.has_schain);
  CHECK(r.schain->complete);
  CHECK(r.schain->version == "1.0");
  REQUIRE(r.schain->nodes.size() == 2);
  CHECK(r.schain->nodes[0].asi == "directseller.com");
  CHECK(r.schain->nodes[0].sid == "00001");
  CHECK(r.schain->nodes[0].rid == "BidRequest1");
  CHECK(r.schain->nodes[0].hp == 1);
  CHECK(r.schain->nodes[1].asi == "reseller.com");
  CHECK(r.schain->nodes[1].sid == "aaaaa");
}

TEST_CASE("OpenRTB 2.5 source.ext.schain, the SupplyChain 1.0 incomplete example") {
  engine::BidRequest r = MustParse(WithSource(
      R"({"ext": {"schain": )" + Fixture("sellers/schain-bidrequest4-incomplete.json") + "}}"));
  REQUIRE(r.schain.has_value());
  CHECK_FALSE(r.schain->complete);
  REQUIRE(r.schain->nodes.size() == 1);
  CHECK(r.schain->nodes[0].asi == "reseller.com");
}

TEST_CASE("source.schain wins over source.ext.schain; asi is lower-cased") {
  engine::BidRequest r = MustParse(WithSource(R"({
      "ext": {"schain": {"complete": 0, "nodes": [{"asi": "old.com", "sid": "1"}]}},
      "schain": {"complete": 1, "ver": "1.0",
                 "nodes": [{"asi": "DirectSeller.COM", "sid": "X1", "name": "N", "domain": "d.com"}]}})"));
  REQUIRE(r.schain.has_value());
  CHECK(r.schain->complete);
  REQUIRE(r.schain->nodes.size() == 1);
  CHECK(r.schain->nodes[0].asi == "directseller.com");
  CHECK(r.schain->nodes[0].sid == "X1");  // seller ids keep their case
  CHECK(r.schain->nodes[0].name == "N");
  CHECK(r.schain->nodes[0].domain == "d.com");
  CHECK_FALSE(r.schain->nodes[0].hp.has_value());
}

TEST_CASE("a request without source has no schain") {
  engine::BidRequest r =
      MustParse(R"({"id": "r", "imp": [{"id": "1", "banner": {"w": 1, "h": 1}}]})");
  CHECK_FALSE(r.schain.has_value());
  CHECK_FALSE(r.has_schain);
}

}  // namespace
}  // namespace vetrina::openrtb
