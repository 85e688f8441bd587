#include "adapters/openrtb/response_writer.h"

#include <simdjson.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "../../support/files.h"
#include "adapters/vast/vast.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "engine/targeting/eligibility.h"

namespace vetrina::openrtb {
namespace {

struct Fixture {
  engine::Campaign campaign;
  engine::BidRequest request;
  engine::AuctionResult result;

  Fixture() {
    campaign.id = "camp \"1\"";
    campaign.adomain = {"adv.example"};
    campaign.categories = {"IAB17"};
    engine::Creative creative;
    creative.id = "cr/1";
    creative.kind = engine::CreativeKind::kBanner;
    creative.size = {320, 50};
    creative.markup = "<a href=\"x\">\n\t\x01</a>";
    campaign.creatives.push_back(creative);
    request.id = "req&1";
    engine::Imp imp;
    imp.id = "imp-1";
    imp.banner.emplace();
    request.imps.push_back(imp);
    result.bids.push_back(engine::Bid{
        .imp_index = 0,
        .campaign = &campaign,
        .match = {&campaign.creatives[0], engine::MediaType::kBanner, {320, 50}},
        .max_price = 2'000'000,
        .clearing_price = 1'250'000,
        .price_in_currency = 1'250'000,
    });
    result.imp_reasons = {engine::NoBidReason::kNone};
  }
};

TEST_CASE("writes a bid response that parses and carries every required field") {
  Fixture f;
  std::string out;
  WriteBidResponse(f.request, f.result, "resp-9", {{"b-1", "TOKEN_1", "AD_1"}},
                   {.notice_base_url = "https://bid.example"}, &out);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["id"]) == "req&1");
  CHECK(std::string_view(doc["bidid"]) == "resp-9");
  CHECK(std::string_view(doc["cur"]) == "USD");
  simdjson::dom::element seatbid = doc["seatbid"].at(0);
  CHECK(std::string_view(seatbid["seat"]) == "vetrina");
  simdjson::dom::element bid = seatbid["bid"].at(0);
  CHECK(std::string_view(bid["id"]) == "b-1");
  CHECK(std::string_view(bid["impid"]) == "imp-1");
  CHECK(double(bid["price"]) == 1.25);
  // The markup round-trips through JSON escaping, with the impression pixel appended.
  const std::string_view adm = bid["adm"];
  CHECK(adm.rfind("<a href=\"x\">\n\t\x01</a><img src=\"https://bid.example/ev/imp?t=AD_1\"", 0) ==
        0);
  CHECK(std::string_view(bid["adomain"].at(0)) == "adv.example");
  CHECK(std::string_view(bid["crid"]) == "cr/1");
  CHECK(std::string_view(bid["cid"]) == "camp \"1\"");
  CHECK(std::string_view(bid["cat"].at(0)) == "IAB17");
  CHECK(int64_t(bid["w"]) == 320);
  CHECK(int64_t(bid["h"]) == 50);
  CHECK(int64_t(bid["mtype"]) == 1);
  CHECK(bid["dealid"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::string_view(bid["nurl"]) == "https://bid.example/ev/win?t=TOKEN_1&p=${AUCTION_PRICE}");
  CHECK(std::string_view(bid["burl"]) ==
        "https://bid.example/ev/bill?t=TOKEN_1&p=${AUCTION_PRICE}");
  CHECK(std::string_view(bid["lurl"]) ==
        "https://bid.example/ev/loss?t=TOKEN_1&p=${AUCTION_PRICE}&r=${AUCTION_LOSS}");
}

TEST_CASE("a bid in another currency and on a deal says so") {
  Fixture f;
  engine::Deal deal;
  deal.id = "deal-7";
  f.result.currency = "EUR";
  f.result.bids[0].price_in_currency = 1'150'000;
  f.result.bids[0].deal = &deal;
  std::string out;
  WriteBidResponse(f.request, f.result, "resp-9", {{"b-1", "T", "A"}}, {}, &out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["cur"]) == "EUR");
  CHECK(double(doc["seatbid"].at(0)["bid"].at(0)["price"]) == 1.15);
  CHECK(std::string_view(doc["seatbid"].at(0)["bid"].at(0)["dealid"]) == "deal-7");
}

TEST_CASE("tracked markup: the click macro becomes the click URL, a banner gets a pixel") {
  engine::Creative banner;
  banner.markup = "<a href=\"${VETRINA_CLICK_URL}\">go</a>";
  banner.landing_url = "https://land.example";
  const NoticeUrls urls{"https://b/ev/imp?t=X", "https://b/ev/click?t=X"};
  CHECK(TrackedMarkup(banner, engine::MediaType::kBanner, urls) ==
        "<a href=\"https://b/ev/click?t=X\">go</a>"
        "<img src=\"https://b/ev/imp?t=X\" width=\"1\" height=\"1\" style=\"display:none\" "
        "alt=\"\">");
  // Without notice URLs the macro falls back to the landing page.
  CHECK(TrackedMarkup(banner, engine::MediaType::kBanner, {}) ==
        "<a href=\"https://land.example\">go</a>");
}

// A video creative as an upload keeps it: the offsets come from the upload's VAST reader.
engine::Creative UploadedVideo(std::string vast_xml) {
  engine::Creative video;
  video.kind = engine::CreativeKind::kVideo;
  video.markup = std::move(vast_xml);
  std::vector<std::string> problems;
  vast::VastSummary summary = vast::ReadVast(video.markup, &problems);
  INFO(video.markup);
  CHECK(problems == std::vector<std::string>{});
  video.vast_protocol = summary.protocol;
  video.media_sizes = summary.media_sizes;
  video.vast_impression_offsets = summary.impression_offsets;
  return video;
}

constexpr char kTracker[] = "<Impression><![CDATA[https://b/ev/imp?t=X]]></Impression>";
constexpr char kLinear[] =
    "<Creatives><Creative><Linear><Duration>00:00:15</Duration><MediaFiles><MediaFile "
    "width=\"640\" height=\"360\">m</MediaFile></MediaFiles></Linear></Creative></Creatives>";

TEST_CASE("VAST gets our Impression where its schema allows one, in every Ad") {
  const NoticeUrls urls{"https://b/ev/imp?t=X", "https://b/ev/click?t=X"};
  struct Row {
    const char* rule;
    std::string vast;
    std::string served;  // "@" marks where our tracker goes
  };
  const std::string inline40 =
      StrCat("<VAST version=\"4.0\"><Ad><InLine><AdSystem>V</AdSystem><Error>e</Error>",
             "<Extensions/>@<Impression>i</Impression><AdTitle>t</AdTitle>", kLinear,
             "</InLine></Ad></VAST>");
  const std::string wrapper20 =
      "<VAST version=\"2.0\"><Ad><Wrapper><AdSystem>V</AdSystem><VASTAdTagURI>u</VASTAdTagURI>"
      "<Error>e</Error>@<Impression>i</Impression><Creatives/></Wrapper></Ad></VAST>";
  const std::string inline20 =
      StrCat("<VAST version=\"2.0\"><Ad><InLine><AdSystem>V</AdSystem><AdTitle>t</AdTitle>",
             "<Error>e</Error>@<Impression>i</Impression>", kLinear, "</InLine></Ad></VAST>");
  const std::string pod =
      StrCat("<VAST version=\"4.1\"><Ad sequence=\"1\"><InLine><AdSystem>V</AdSystem>",
             "@<Impression>i</Impression><Impression>j</Impression><AdServingId>s</AdServingId>",
             "<AdTitle>t</AdTitle>", kLinear, "</InLine></Ad><Ad sequence=\"2\"><Wrapper>",
             "<AdSystem>V</AdSystem>@<Impression>i</Impression><VASTAdTagURI>u</VASTAdTagURI>",
             "</Wrapper></Ad></VAST>");
  const Row rows[] = {
      {"VAST 4.0 AdDefinitionBase: AdSystem, Error*, Extensions? before Impression", inline40, ""},
      {"VAST 2.0 Wrapper: AdSystem, VASTAdTagURI, Error? before Impression", wrapper20, ""},
      {"VAST 2.0 InLine: AdTitle and Error before Impression", inline20, ""},
      {"VAST 4.1 §3.2: every Ad of a pod is tracked", pod, ""},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    std::string original = row.vast;
    std::string expected = row.vast;
    original.erase(std::remove(original.begin(), original.end(), '@'), original.end());
    for (size_t at = expected.find('@'); at != std::string::npos; at = expected.find('@')) {
      expected.replace(at, 1, kTracker);
    }
    CHECK(TrackedMarkup(UploadedVideo(original), engine::MediaType::kVideo, urls) == expected);
  }
  // Without an impression URL the VAST is served as uploaded, click macro aside.
  engine::Creative video = UploadedVideo(
      StrCat("<VAST version=\"2.0\"><Ad><InLine><AdSystem>V</AdSystem><AdTitle>t</AdTitle>",
             "<Impression>i</Impression>", kLinear, "</InLine></Ad></VAST>"));
  CHECK(TrackedMarkup(video, engine::MediaType::kVideo, {}) == video.markup);
}

TEST_CASE("a video bid names its media size, duration, protocol and app (OpenRTB 2.6 §4.3.3)") {
  Fixture f;
  f.campaign.app_bundle = "com.example.game";
  engine::Creative video = UploadedVideo(
      StrCat("<VAST version=\"4.1\"><Ad><InLine><AdSystem>V</AdSystem><Impression>i</Impression>",
             "<AdServingId>s</AdServingId><AdTitle>t</AdTitle><Creatives><Creative><Linear>",
             "<Duration>00:00:15</Duration><MediaFiles><MediaFile width=\"1280\" height=\"720\">m",
             "</MediaFile></MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>"));
  video.id = "v1";
  video.duration_s = 15;
  f.campaign.creatives = {video};
  engine::Imp& imp = f.request.imps[0];
  imp.banner.reset();
  imp.video.emplace();
  imp.video->size = {1080, 1920};
  engine::CreativeMatch match;
  REQUIRE(engine::MatchCreative(f.campaign, imp, &match) == engine::NoBidReason::kNone);
  f.result.bids[0].match = match;
  std::string out;
  WriteBidResponse(f.request, f.result, "r", {{"b-1", "T", "A"}}, {}, &out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  simdjson::dom::element bid = doc["seatbid"].at(0)["bid"].at(0);
  struct Row {
    const char* rule;
    const char* field;
    int64_t expected;
  };
  for (const Row& row : {Row{"§4.3.3 w: the creative's width, not the slot's", "w", 1280},
                         Row{"§4.3.3 h: the creative's height, not the slot's", "h", 720},
                         Row{"§4.3.3 dur: the video's duration in seconds", "dur", 15},
                         Row{"§4.3.3 protocol: list 5.8, 11 = VAST 4.1", "protocol", 11},
                         Row{"§4.3.3 mtype: 2 = video", "mtype", 2}}) {
    INFO(row.rule);
    int64_t value = -1;
    CHECK(bid[row.field].get_int64().get(value) == simdjson::SUCCESS);
    CHECK(value == row.expected);
  }
  CHECK(std::string_view(bid["bundle"]) == "com.example.game");
}

TEST_CASE("a banner bid names the campaign's app, and no video fields") {
  Fixture f;
  f.campaign.app_bundle = "com.example.game";
  std::string out;
  WriteBidResponse(f.request, f.result, "r", {{"b-1", "T", "A"}}, {}, &out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  simdjson::dom::element bid = doc["seatbid"].at(0)["bid"].at(0);
  CHECK(std::string_view(bid["bundle"]) == "com.example.game");
  CHECK(bid["dur"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(bid["protocol"].error() == simdjson::NO_SUCH_FIELD);
  // Without an app, no bundle.
  f.campaign.app_bundle.clear();
  out.clear();
  WriteBidResponse(f.request, f.result, "r", {{"b-1", "T", "A"}}, {}, &out);
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  CHECK(doc["seatbid"].at(0)["bid"].at(0)["bundle"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("native markup answers the requested assets the creative can fill") {
  engine::Creative c;
  c.kind = engine::CreativeKind::kNative;
  c.title = "Lisbon";
  c.image_url = "https://img/main.jpg";
  c.image_size = {1200, 627};
  c.icon_url = "https://img/icon.png";
  c.sponsor = "Wander";
  c.landing_url = "https://wander.example/lisbon";
  engine::NativeRequest native;
  native.version = "1.2";
  native.assets = {
      {.id = 1, .required = true, .kind = engine::NativeAssetKind::kTitle},
      {.id = 2, .required = true, .kind = engine::NativeAssetKind::kImage, .type = 3},
      {.id = 3, .kind = engine::NativeAssetKind::kImage, .type = 1},
      {.id = 4, .kind = engine::NativeAssetKind::kData, .type = 1},
      {.id = 5, .kind = engine::NativeAssetKind::kData, .type = 12},  // no CTA: left out
  };
  const std::string markup = NativeMarkup(native, c);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(markup).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["ver"]) == "1.2");
  simdjson::dom::array assets = doc["assets"];
  CHECK(assets.size() == 4);
  CHECK(std::string_view(assets.at(0)["title"]["text"]) == "Lisbon");
  CHECK(std::string_view(assets.at(1)["img"]["url"]) == "https://img/main.jpg");
  CHECK(int64_t(assets.at(1)["img"]["w"]) == 1200);
  CHECK(std::string_view(assets.at(2)["img"]["url"]) == "https://img/icon.png");
  CHECK(std::string_view(assets.at(3)["data"]["value"]) == "Wander");
  CHECK(std::string_view(doc["link"]["url"]) == "https://wander.example/lisbon");

  // With notice URLs the link goes through the click tracker and the impression is tracked.
  const std::string tracked =
      NativeMarkup(native, c, {"https://b/ev/imp?t=X", "https://b/ev/click?t=X"});
  simdjson::dom::element tracked_doc;
  REQUIRE(parser.parse(tracked).get(tracked_doc) == simdjson::SUCCESS);
  CHECK(std::string_view(tracked_doc["link"]["url"]) == "https://b/ev/click?t=X");
  CHECK(int64_t(tracked_doc["eventtrackers"].at(0)["event"]) == 1);
  CHECK(std::string_view(tracked_doc["eventtrackers"].at(0)["url"]) == "https://b/ev/imp?t=X");

  native.version = "1.1";
  simdjson::dom::element wrapped;
  const std::string old_markup = NativeMarkup(native, c);
  REQUIRE(parser.parse(old_markup).get(wrapped) == simdjson::SUCCESS);
  CHECK(std::string_view(wrapped["native"]["ver"]) == "1.1");
}

// A native bid answering `native_request` with `f`'s campaign, on an imp secure or not.
simdjson::dom::element NativeBid(Fixture& f, const std::string& native_version, bool privacy,
                                 bool secure, simdjson::dom::parser& parser, std::string* out) {
  engine::Creative& c = f.campaign.creatives[0];
  c.kind = engine::CreativeKind::kNative;
  c.title = "Lisbon";
  c.landing_url = "https://wander.example/lisbon";
  engine::Imp& imp = f.request.imps[0];
  imp.banner.reset();
  imp.secure = secure;
  imp.native.emplace();
  imp.native->request.version = native_version;
  imp.native->request.privacy = privacy;
  imp.native->request.assets = {
      {.id = 1, .required = true, .kind = engine::NativeAssetKind::kTitle}};
  f.result.bids[0].match.media_type = engine::MediaType::kNative;
  WriteBidResponse(f.request, f.result, "resp-9", {{"b-1", "T", "A"}},
                   {.notice_base_url = "http://bid.example:8080",
                    .notice_base_url_https = "https://bid.example"},
                   out);
  simdjson::dom::element doc;
  REQUIRE(parser.parse(*out).get(doc) == simdjson::SUCCESS);
  return doc["seatbid"].at(0)["bid"].at(0);
}

TEST_CASE("a secure imp gets every URL of its bid over https (OpenRTB 2.6 §3.2.4 secure)") {
  for (bool secure : {false, true}) {
    INFO("secure " << secure);
    const std::string base = secure ? "https://bid.example" : "http://bid.example:8080";
    Fixture f;
    simdjson::dom::parser parser;
    std::string out;
    simdjson::dom::element bid = NativeBid(f, "1.2", /*privacy=*/true, secure, parser, &out);
    simdjson::dom::parser markup_parser;
    simdjson::dom::element adm;
    REQUIRE(markup_parser.parse(std::string_view(bid["adm"])).get(adm) == simdjson::SUCCESS);
    struct Row {
      const char* rule;
      std::string_view url;
      std::string expected;
    } rows[] = {
        {"OpenRTB 2.6 §4.2.3 nurl", bid["nurl"], base + "/ev/win?t=T&p=${AUCTION_PRICE}"},
        {"OpenRTB 2.6 §4.2.3 burl", bid["burl"], base + "/ev/bill?t=T&p=${AUCTION_PRICE}"},
        {"OpenRTB 2.6 §4.2.3 lurl", bid["lurl"],
         base + "/ev/loss?t=T&p=${AUCTION_PRICE}&r=${AUCTION_LOSS}"},
        {"Native 1.2 §5.8 eventtrackers: impression", adm["eventtrackers"].at(0)["url"],
         base + "/ev/imp?t=A"},
        {"Native 1.2 §5.7 link.url: the click URL", adm["link"]["url"], base + "/ev/click?t=A"},
        {"Native 1.2 §5.1 privacy: our page", adm["privacy"], base + "/privacy"},
    };
    for (const Row& row : rows) {
      INFO(row.rule);
      CHECK(row.url == row.expected);
    }
  }
}

TEST_CASE("native privacy: written only when asked, the campaign's URL first (Native 1.2 §5.1)") {
  Fixture f;
  simdjson::dom::parser parser, markup_parser;
  std::string out;
  simdjson::dom::element adm;

  simdjson::dom::element bid = NativeBid(f, "1.2", /*privacy=*/false, false, parser, &out);
  REQUIRE(markup_parser.parse(std::string_view(bid["adm"])).get(adm) == simdjson::SUCCESS);
  CHECK(adm["privacy"].error() == simdjson::NO_SUCH_FIELD);

  f.campaign.privacy_url = "https://wander.example/ad-privacy";
  out.clear();
  bid = NativeBid(f, "1.2", /*privacy=*/true, true, parser, &out);
  REQUIRE(markup_parser.parse(std::string_view(bid["adm"])).get(adm) == simdjson::SUCCESS);
  CHECK(std::string_view(adm["privacy"]) == "https://wander.example/ad-privacy");
}

TEST_CASE("a product's deep link opens the app, the store page is the fallback (Native 1.2 §5.7)") {
  engine::Creative c;
  c.kind = engine::CreativeKind::kProduct;
  c.title = "X2";
  c.landing_url = "https://shop.example/p/x2";
  c.store_url = "https://shop.example/store/x2";
  c.deep_link = "shopapp://product/x2";
  engine::NativeRequest native;
  native.assets = {{.id = 1, .required = true, .kind = engine::NativeAssetKind::kTitle}};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string markup = NativeMarkup(
      native, c, {.impression = "https://b/ev/imp?t=X", .click = "https://b/ev/click?t=X"});
  REQUIRE(parser.parse(markup).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["link"]["url"]) == "shopapp://product/x2");
  CHECK(std::string_view(doc["link"]["fallback"]) == "https://shop.example/store/x2");
  CHECK(std::string_view(doc["link"]["clicktrackers"].at(0)) == "https://b/ev/click?t=X");

  // Without a deep link the click URL is the link, and nothing else is needed.
  c.deep_link.clear();
  const std::string plain = NativeMarkup(native, c, {.click = "https://b/ev/click?t=X"});
  REQUIRE(parser.parse(plain).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["link"]["url"]) == "https://b/ev/click?t=X");
  CHECK(doc["link"]["fallback"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(doc["link"]["clicktrackers"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("native image sizes: the icon's when known, none when unknown (Native 1.2 §5.3)") {
  engine::Creative c;
  c.kind = engine::CreativeKind::kNative;
  c.image_url = "https://img/main.jpg";
  c.icon_url = "https://img/icon.png";
  c.icon_size = {128, 128};
  engine::NativeRequest native;
  native.assets = {{.id = 1, .kind = engine::NativeAssetKind::kImage, .type = 3},
                   {.id = 2, .kind = engine::NativeAssetKind::kImage, .type = 1}};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string markup = NativeMarkup(native, c);
  REQUIRE(parser.parse(markup).get(doc) == simdjson::SUCCESS);
  CHECK(doc["assets"].at(0)["img"]["w"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(int64_t(doc["assets"].at(1)["img"]["w"]) == 128);
  CHECK(int64_t(doc["assets"].at(1)["img"]["h"]) == 128);
}

TEST_CASE("decimal prices have no float noise and no trailing zeros") {
  auto decimal = [](engine::Micros m) {
    std::string s;
    AppendDecimal(m, &s);
    return s;
  };
  CHECK(decimal(0) == "0");
  CHECK(decimal(1'000'000) == "1");
  CHECK(decimal(1'250'000) == "1.25");
  CHECK(decimal(10'000) == "0.01");
  CHECK(decimal(1) == "0.000001");
  CHECK(decimal(123'456'789) == "123.456789");
}

}  // namespace
}  // namespace vetrina::openrtb

namespace vetrina::openrtb {
namespace {

// The campaign's DSA information from a `bid_ext_dsa` object of tests/fixtures/dsa/bid_dsa.json.
engine::DsaInfo DsaInfoFrom(simdjson::dom::element dsa) {
  engine::DsaInfo info;
  info.behalf = std::string(std::string_view(dsa["behalf"]));
  info.paid = std::string(std::string_view(dsa["paid"]));
  info.adrender = static_cast<int>(int64_t(dsa["adrender"]));
  simdjson::dom::array transparency;
  if (dsa["transparency"].get(transparency) == simdjson::SUCCESS) {
    for (simdjson::dom::element entry : transparency) {
      engine::DsaTransparency& t = info.transparency.emplace_back();
      t.domain = std::string(std::string_view(entry["domain"]));
      for (simdjson::dom::element p : entry["dsaparams"].get_array()) {
        t.params.push_back(static_cast<int>(int64_t(p)));
      }
    }
  }
  return info;
}

TEST_CASE("bid.ext.dsa carries the campaign's DSA information as the extension's samples do") {
  simdjson::dom::parser fixtures;
  simdjson::dom::element vectors;
  REQUIRE(fixtures.parse(vetrina::testing::Fixture("dsa/bid_dsa.json")).get(vectors) ==
          simdjson::SUCCESS);
  size_t count = 0;
  for (simdjson::dom::element vector : vectors.get_array()) {
    INFO(std::string_view(vector["name"]));
    ++count;
    Fixture f;
    f.campaign.dsa = DsaInfoFrom(vector["bid_ext_dsa"]);
    // Required, on an online platform; the publisher could render (no conflict either way).
    f.request.regs.dsa = engine::DsaSignal{.required = 3, .pubrender = 1};
    std::string out;
    WriteBidResponse(f.request, f.result, "r", {{"b-1", "T", "A"}}, {}, &out);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
    simdjson::dom::element bid = doc["seatbid"].at(0)["bid"].at(0);
    // Field for field and in the sample's order.
    CHECK(simdjson::minify(bid["ext"]["dsa"]) == simdjson::minify(vector["bid_ext_dsa"]));
  }
  CHECK(count == 2);
}

TEST_CASE("bid.ext.dsa only when the request carries regs.ext.dsa with dsarequired >= 1") {
  Fixture f;
  f.campaign.dsa = engine::DsaInfo{.behalf = "Advertiser", .paid = "Agency", .adrender = 0};
  const auto ext_of = [&](std::optional<engine::DsaSignal> signal) {
    f.request.regs.dsa = signal;
    std::string out;
    WriteBidResponse(f.request, f.result, "r", {{"b-1", "T", "A"}}, {}, &out);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
    simdjson::dom::element bid = doc["seatbid"].at(0)["bid"].at(0);
    simdjson::dom::element ext;
    return bid["ext"].get(ext) == simdjson::SUCCESS ? simdjson::minify(ext) : std::string("none");
  };
  CHECK(ext_of(std::nullopt) == "none");
  CHECK(ext_of(engine::DsaSignal{.required = 0}) == "none");
  CHECK(ext_of(engine::DsaSignal{.required = 1}) ==
        R"({"dsa":{"behalf":"Advertiser","paid":"Agency","adrender":0}})");
  CHECK(ext_of(engine::DsaSignal{.required = 2, .pubrender = 2}) ==
        R"({"dsa":{"behalf":"Advertiser","paid":"Agency","adrender":0}})");
  // Supported only, and nobody would render: the bid goes without the object.
  CHECK(ext_of(engine::DsaSignal{.required = 1, .pubrender = 0}) == "none");
  f.campaign.dsa.reset();
  CHECK(ext_of(engine::DsaSignal{.required = 1}) == "none");
}

}  // namespace
}  // namespace vetrina::openrtb
