#include "adapters/campaigns/campaign_json.h"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include "../../support/files.h"
#include "base/strings.h"
#include "engine/targeting/eligibility.h"

namespace vetrina::campaigns {
namespace {

constexpr char kValid[] = R"({
  "id": "c1", "advertiser": "adv", "status": "active",
  "start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z",
  "bid": {"strategy": "cpm", "max_bid": 2.5, "currency": "USD"},
  "adomain": ["adv.example"], "cat": ["IAB17"],
  "creatives": [{"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}],
  "targeting": {"country": {"include": ["usa", "CAN"]}, "os": {"exclude": ["Android"]},
                "device_type": {"include": [4, 1]}}
})";

std::vector<std::string> Problems(const std::string& json) {
  std::vector<Problem> problems;
  absl::StatusOr<engine::Campaign> c = ParseCampaign(json, &problems);
  std::vector<std::string> lines;
  for (const Problem& p : problems) lines.push_back(p.pointer + ": " + p.message);
  if (!c.ok()) REQUIRE_FALSE(lines.empty());
  return lines;
}

TEST_CASE("a valid campaign is read and normalised") {
  absl::StatusOr<engine::Campaign> c = ParseCampaign(kValid);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->id == "c1");
  CHECK(c->advertiser == "adv");
  CHECK(c->max_bid_cpm == 2'500'000);
  CHECK(c->start == absl::FromUnixSeconds(1767225600));
  CHECK(c->targeting.country.include == std::vector<std::string>{"CAN", "USA"});
  CHECK(c->targeting.os.exclude == std::vector<std::string>{"android"});
  CHECK(c->targeting.device_type.include == std::vector<int>{1, 4});
  REQUIRE(c->creatives.size() == 1);
  CHECK(c->creatives[0].size == engine::Size{320, 50});
}

TEST_CASE("every problem is reported with its JSON pointer") {
  std::string bad = kValid;
  bad.replace(bad.find("\"w\": 320"), 8, "\"w\": 0");
  bad.replace(bad.find("\"max_bid\": 2.5"), 14, "\"max_bid\": -1");
  bad.replace(bad.find("\"status\": \"active\""), 18, "\"status\": \"running\"");
  bad.replace(bad.find("\"country\""), 9, "\"contry\"");
  std::vector<std::string> problems = Problems(bad);
  CHECK(problems == std::vector<std::string>{
                        "/status: must be one of active, paused, archived",
                        "/bid/max_bid: must be > 0",
                        "/creatives/0/w: must be >= 1",
                        "/targeting/contry: unknown field \"contry\"; did you mean \"country\"?",
                    });
}

TEST_CASE("a campaign id outside the id grammar is a problem at /id") {
  std::string bad = kValid;
  bad.replace(bad.find("\"id\": \"c1\""), 10, "\"id\": \"../c1\"");
  CHECK(Problems(bad) == std::vector<std::string>{"/id: must match ^[A-Za-z0-9][A-Za-z0-9._-]*$"});
}

TEST_CASE("landing and image URLs are absolute http(s) URLs that cannot split a header") {
  auto with_landing = [](const std::string& landing) {
    std::string json = kValid;
    json.replace(json.find("\"markup\""), 0, "\"landing\": \"" + landing + "\", ");
    return json;
  };
  std::vector<std::string> ok = Problems(with_landing("https://adv.example/p?q=1&r=%20"));
  CHECK(ok.empty());
  for (const char* landing : {"https://adv.example/\\r\\nSet-Cookie: a=1", "javascript:alert(1)",
                              "https://adv.example/a b", "//adv.example", "https://"}) {
    INFO(landing);
    CHECK(Problems(with_landing(landing)) ==
          std::vector<std::string>{
              "/creatives/0/landing: must be an http(s) URL of printable ASCII, without spaces"});
  }
}

TEST_CASE("the upload records whether an ad loads anything over plain http") {
  struct Row {
    const char* what;
    const char* creative;
    bool loads_http;
  } rows[] = {
      {"banner HTML with an https image", R"("markup": "<img src='https://cdn.example/a.png'>")",
       false},
      {"banner HTML with an http image", R"("markup": "<img src='HTTP://cdn.example/a.png'>")",
       true},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    std::string json = kValid;
    json.replace(json.find(R"("markup": "<img>")"), 17, row.creative);
    absl::StatusOr<engine::Campaign> c = ParseCampaign(json);
    REQUIRE(c.ok());
    CHECK(c->creatives[0].loads_http == row.loads_http);
  }
  const std::string native = R"({"id": "n", "advertiser": "adv", "status": "active",
    "bid": {"strategy": "cpm", "max_bid": 1},
    "creatives": [{"id": "n1", "kind": "native", "title": "T", "landing": "http://adv.example",
                   "image": {"url": "IMAGE"}}]})";
  for (auto [image, loads_http] : {std::pair{"https://cdn.example/i.png", false},
                                   std::pair{"http://cdn.example/i.png", true}}) {
    INFO(image);
    std::string json = native;
    json.replace(json.find("IMAGE"), 5, image);
    absl::StatusOr<engine::Campaign> c = ParseCampaign(json);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    // The landing page is navigated to, not loaded into the ad: an http one does not count.
    CHECK(c->creatives[0].loads_http == loads_http);
  }
}

TEST_CASE("required fields, wrong types and malformed JSON") {
  CHECK(Problems("{}") == std::vector<std::string>{"/id: required", "/advertiser: required",
                                                   "/status: required", "/bid: required",
                                                   "/creatives: required"});
  CHECK(Problems("[]") == std::vector<std::string>{": must be an object"});
  CHECK(Problems("{\"id\":").size() == 1);
  std::string no_creatives = kValid;
  no_creatives.replace(no_creatives.find("\"creatives\": ["), 14, "\"creatives\": [], \"x\": [");
  CHECK(
      Problems(no_creatives) ==
      std::vector<std::string>{"/x: unknown field \"x\"", "/creatives: must have at least 1 item"});
}

TEST_CASE("an unknown field names the field it likely meant, at every level") {
  struct Row {
    const char* from;
    const char* to;
    const char* problem;
  } rows[] = {
      {"\"bid\":", "\"bdi\":", "/bdi: unknown field \"bdi\"; did you mean \"bid\"?"},
      {"\"adomain\":", "\"adomian\":",
       "/adomian: unknown field \"adomian\"; did you mean \"adomain\"?"},
      {"\"max_bid\":", "\"maxbid\":",
       "/bid/maxbid: unknown field \"maxbid\"; did you mean \"max_bid\"?"},
      {"\"markup\":", "\"markpu\":",
       "/creatives/0/markpu: unknown field \"markpu\"; did you mean \"markup\"?"},
      {"\"include\": [4, 1]", "\"incldue\": [4, 1]",
       "/targeting/device_type/incldue: unknown field \"incldue\"; did you mean \"include\"?"},
      {"\"cat\":", "\"colour\":", "/colour: unknown field \"colour\""},
  };
  for (const Row& row : rows) {
    INFO(row.to);
    std::string bad = kValid;
    bad.replace(bad.find(row.from), std::string_view(row.from).size(), row.to);
    std::vector<std::string> problems = Problems(bad);
    CHECK(std::find(problems.begin(), problems.end(), row.problem) != problems.end());
  }
  std::string bad = kValid;
  bad.replace(bad.find("\"bid\":"), 6, "\"budget\": {\"daily\": 5}, \"bid\":");
  bad.replace(bad.find("\"budget\""), 8, "\"bugdet\"");
  CHECK(Problems(bad) ==
        std::vector<std::string>{"/bugdet: unknown field \"bugdet\"; did you mean \"budget\"?"});
}

TEST_CASE("malformed JSON is reported with its line and column") {
  std::string bad = kValid;
  bad.replace(bad.find("\"adomain\""), 0, ",");  // line 5: "  ,"adomain"..."
  CHECK(Problems(bad) ==
        std::vector<std::string>{
            ": invalid JSON at line 5, column 3: expected a string (an object member's name)"});
  absl::StatusOr<engine::Campaign> c = ParseCampaign("{\"id\": \"c1\",\n \"status\" \"active\"}");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() ==
        ": invalid JSON at line 2, column 11: expected ':' after an object member's name");
}

std::vector<std::string> DocumentProblems(const std::string& json) {
  std::vector<Problem> problems;
  absl::StatusOr<CampaignDocument> d = ParseCampaignDocument(json, &problems);
  std::vector<std::string> lines;
  for (const Problem& p : problems) lines.push_back(p.pointer + ": " + p.message);
  CHECK(d.ok() == lines.empty());
  return lines;
}

TEST_CASE("a document holds one campaign or a batch of them") {
  absl::StatusOr<CampaignDocument> one = ParseCampaignDocument(kValid);
  REQUIRE(one.ok());
  CHECK_FALSE(one->batch);
  REQUIRE(one->campaigns.size() == 1);
  CHECK(one->campaigns[0].campaign.id == "c1");
  CHECK(one->campaigns[0].json == kValid);

  std::string second = kValid;
  second.replace(second.find("\"id\": \"c1\""), 10, "\"id\": \"c2\"");
  absl::StatusOr<CampaignDocument> batch =
      ParseCampaignDocument(StrCat("[", kValid, ",\n", second, "]"));
  REQUIRE(batch.ok());
  CHECK(batch->batch);
  REQUIRE(batch->campaigns.size() == 2);
  CHECK(batch->campaigns[1].campaign.id == "c2");
  CHECK(ParseCampaign(batch->campaigns[1].json).ok());
  CHECK(ParseCampaignDocument("[]").ok());
}

TEST_CASE("a batch reports each campaign's problems under its index") {
  std::string bad = kValid;
  bad.replace(bad.find("\"w\": 320"), 8, "\"w\": 0");
  bad.replace(bad.find("\"id\": \"c1\""), 10, "\"id\": \"c2\"");
  std::string typo = kValid;
  typo.replace(typo.find("\"id\": \"c1\""), 10, "\"id\": \"c3\"");
  typo.replace(typo.find("\"cat\""), 5, "\"catt\"");
  CHECK(DocumentProblems(StrCat("[", kValid, ",", bad, ",", typo, ", 7]")) ==
        std::vector<std::string>{"/1/creatives/0/w: must be >= 1",
                                 "/2/catt: unknown field \"catt\"; did you mean \"cat\"?",
                                 "/3: must be an object"});
  CHECK(DocumentProblems(StrCat("[", kValid, ",", kValid, "]")) ==
        std::vector<std::string>{": campaign ids must be unique within a batch"});
  CHECK(DocumentProblems(StrCat("[", kValid, ",\n", kValid)) ==
        std::vector<std::string>{
            ": invalid JSON at line 18, column 2: expected ',' or ']' after an array element"});
  CHECK(DocumentProblems("\"campaign\"") == std::vector<std::string>{": must be an object"});
}

TEST_CASE("flight dates must be RFC 3339 and in order") {
  std::string bad = kValid;
  bad.replace(bad.find("2027-01-01T00:00:00Z"), 20, "2025-01-01T00:00:00Z");
  CHECK(Problems(bad) == std::vector<std::string>{"/end: must be after /start"});
  bad = kValid;
  bad.replace(bad.find("2027-01-01T00:00:00Z"), 20, "next year");
  CHECK(Problems(bad) == std::vector<std::string>{"/end: must be an RFC 3339 date-time"});
}

constexpr char kProduct[] = R"({
  "id": "c1", "advertiser": "adv", "status": "active", "bid": {"strategy": "cpm", "max_bid": 1},
  "creatives": [{"id": "p", "kind": "product", "title": "Shoe", "price": 19.99, "currency": "USD",
                 "image": {"url": "https://i.example/s.jpg", "w": 600, "h": 600},
                 "store_url": "https://shop.example/p/shoe", "deep_link": "shopapp://p/shoe",
                 "landing": "https://shop.example/p/shoe"}]
})";

TEST_CASE("a product's store URL and app link are kept") {
  absl::StatusOr<engine::Campaign> c = ParseCampaign(kProduct);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->creatives[0].store_url == "https://shop.example/p/shoe");
  CHECK(c->creatives[0].deep_link == "shopapp://p/shoe");
}

TEST_CASE("store_url is an http(s) URL; deep_link an app link that runs no script") {
  auto with = [](std::string_view field, std::string_view value) {
    std::string json = kProduct;
    const std::string key = StrCat("\"", field, "\": \"");
    const size_t at = json.find(key) + key.size();
    json.replace(at, json.find('"', at) - at, value);
    return Problems(json);
  };
  struct Row {
    const char* rule;
    const char* field;
    const char* value;
    bool valid;
  } rows[] = {
      {"RFC 3986 §4.3: an absolute URL", "store_url", "https://shop.example/p", true},
      {"RFC 3986 §4.2: a relative reference is not", "store_url", "/p/shoe", false},
      {"schema: http(s) only", "store_url", "shopapp://p/shoe", false},
      {"printable ASCII, no spaces", "store_url", "https://shop.example/a b", false},
      {"RFC 3986 §3.1: any app scheme", "deep_link", "fb123456://product/7", true},
      {"RFC 3986 §3.1: an https universal link", "deep_link", "https://shop.example/app/7", true},
      {"Android intent URL", "deep_link", "intent://p/7#Intent;scheme=shopapp;end", true},
      {"RFC 3986 §3.1: a scheme is required", "deep_link", "p/shoe", false},
      {"RFC 3986 §3.1: a scheme starts with a letter", "deep_link", "1app://p", false},
      {"no script: javascript", "deep_link", "JavaScript://%0Aalert(1)", false},
      {"no script: data", "deep_link", "data://text/html,x", false},
      {"no local files", "deep_link", "file:///etc/passwd", false},
      {"printable ASCII, no spaces", "deep_link", "shopapp://p/a b", false},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.field << " = " << row.value);
    std::vector<std::string> problems = with(row.field, row.value);
    if (row.valid) {
      CHECK(problems.empty());
    } else {
      REQUIRE(problems.size() == 1);
      CHECK(problems[0].rfind(StrCat("/creatives/0/", row.field, ": "), 0) == 0);
    }
  }
}

TEST_CASE("privacy_url is an https URL; a native icon keeps its size") {
  std::string json = kProduct;
  json.replace(json.find("\"creatives\""), 0,
               R"("privacy_url": "https://adv.example/ad-privacy", )");
  absl::StatusOr<engine::Campaign> c = ParseCampaign(json);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->privacy_url == "https://adv.example/ad-privacy");
  json.replace(json.find("https://adv.example/ad-privacy"), 5, "http");
  CHECK(Problems(json) == std::vector<std::string>{"/privacy_url: must be an https URL"});

  c = ParseCampaign(R"({
    "id": "c1", "advertiser": "adv", "status": "active", "bid": {"strategy": "cpm", "max_bid": 1},
    "creatives": [{"id": "n", "kind": "native", "title": "T", "landing": "https://l.example",
                   "image": {"url": "https://i.example/m.jpg"},
                   "icon": {"url": "https://i.example/i.png", "w": 128, "h": 96}}]})");
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->creatives[0].icon_size == engine::Size{128, 96});
  CHECK(c->creatives[0].image_size == engine::Size{0, 0});
}

// Every campaign example in the API docs is one the API accepts, and together they show every
// creative kind.
TEST_CASE("the campaign examples in docs/admin-api.md are valid") {
  const std::string doc =
      vetrina::testing::ReadFile(vetrina::testing::SourceDir() / "docs/admin-api.md");
  std::vector<engine::CreativeKind> kinds;
  int examples = 0;
  for (size_t at = doc.find("```json\n"); at != std::string::npos; at = doc.find("```json\n", at)) {
    at += 8;
    const size_t end = doc.find("```", at);
    REQUIRE(end != std::string::npos);
    const std::string block = doc.substr(at, end - at);
    at = end + 3;
    if (block.find("\"creatives\"") == std::string::npos) continue;
    ++examples;
    absl::StatusOr<engine::Campaign> c = ParseCampaign(block);
    INFO(block);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    for (const engine::Creative& cr : c->creatives) kinds.push_back(cr.kind);
  }
  CHECK(examples >= 5);
  for (auto kind :
       {engine::CreativeKind::kBanner, engine::CreativeKind::kVideo, engine::CreativeKind::kNative,
        engine::CreativeKind::kProduct, engine::CreativeKind::kChallenge}) {
    CHECK(std::find(kinds.begin(), kinds.end(), kind) != kinds.end());
  }
}

TEST_CASE("every demo campaign in schemas/examples is valid") {
  absl::StatusOr<std::vector<engine::Campaign>> campaigns =
      LoadCampaignDirectory((vetrina::testing::SourceDir() / "schemas/examples").string());
  INFO(campaigns.status().ToString());
  REQUIRE(campaigns.ok());
  CHECK(campaigns->size() >= 5);
  std::vector<engine::CreativeKind> kinds;
  for (const engine::Campaign& c : *campaigns) {
    for (const engine::Creative& cr : c.creatives) kinds.push_back(cr.kind);
  }
  for (auto kind :
       {engine::CreativeKind::kBanner, engine::CreativeKind::kVideo, engine::CreativeKind::kNative,
        engine::CreativeKind::kProduct, engine::CreativeKind::kChallenge}) {
    CHECK(std::find(kinds.begin(), kinds.end(), kind) != kinds.end());
  }
}

// kValid with its banner swapped for a video creative.
std::string WithVideo(int duration, const std::string& vast) {
  std::string json = kValid;
  const std::string banner =
      R"({"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"})";
  std::string escaped;
  for (char c : vast) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  json.replace(json.find(banner), banner.size(),
               StrCat(R"({"id": "v1", "kind": "video", "duration": )", duration,
                      R"(, "mime": "video/mp4", "vast": ")", escaped, "\"}"));
  return json;
}

std::string Vast(std::string_view version, std::string_view duration) {
  return StrCat("<VAST version=\"", version,
                "\"><Ad><InLine><AdSystem>V</AdSystem><Impression>i</Impression>"
                "<AdServingId>s</AdServingId><AdTitle>t</AdTitle><Creatives><Creative><Linear>"
                "<Duration>",
                duration,
                "</Duration><MediaFiles>"
                "<MediaFile width=\"1280\" height=\"720\">a</MediaFile>"
                "<MediaFile width=\"720\" height=\"1280\">b</MediaFile>"
                "</MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>");
}

TEST_CASE("a video creative keeps its VAST's protocol, media sizes and tracker offsets") {
  const std::string vast = Vast("4.1", "00:00:15");
  absl::StatusOr<engine::Campaign> c = ParseCampaign(WithVideo(15, vast));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  const engine::Creative& video = c->creatives[0];
  CHECK(video.kind == engine::CreativeKind::kVideo);
  CHECK(video.duration_s == 15);
  CHECK(video.vast_protocol == 11);
  CHECK(video.media_sizes == std::vector<engine::Size>{{1280, 720}, {720, 1280}});
  REQUIRE(video.vast_impression_offsets.size() == 1);
  CHECK(video.markup.substr(video.vast_impression_offsets[0], 12) == "<Impression>");
  // A VAST 2.0 document is protocol 2.
  absl::StatusOr<engine::Campaign> old = ParseCampaign(WithVideo(15, Vast("2.0", "00:00:15")));
  REQUIRE(old.ok());
  CHECK(old->creatives[0].vast_protocol == 2);
}

TEST_CASE("a video creative's VAST is checked at upload, each problem at its pointer") {
  struct Row {
    const char* rule;
    int duration;
    std::string vast;
    std::string problem;
  };
  const Row rows[] = {
      {"XML 1.0 §2.1: a document has a root element", 15, "hello world",
       "/creatives/0/vast: not well-formed XML: text outside the root element at byte 0"},
      {"XML 1.0 §3: every start tag has its end tag", 15,
       "<VAST><Ad><InLine><AdSystem>x</AdSystem>",
       "/creatives/0/vast: not well-formed XML: unexpected end: <InLine> not closed at byte 40"},
      {"VAST: a known version", 15, Vast("5.0", "00:00:15"),
       "/creatives/0/vast: VAST version \"5.0\" is not one of 2.0, 3.0, 4.0, 4.1, 4.2, 4.3"},
      {"VAST 4.1 §3.8: the declared duration is the VAST's", 13, Vast("4.1", "00:00:15"),
       "/creatives/0/duration: must equal the VAST <Duration> (15000 ms) in whole seconds, "
       "rounded up: 15"},
      {"VAST 4.1 §3.8: HH:MM:SS.mmm is never rounded down (maxduration would be understated)", 15,
       Vast("4.1", "00:00:15.500"),
       "/creatives/0/duration: must equal the VAST <Duration> (15500 ms) in whole seconds, "
       "rounded up: 16"},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(Problems(WithVideo(row.duration, row.vast)) == std::vector<std::string>{row.problem});
  }
  CHECK(Problems(WithVideo(15, Vast("4.1", "00:00:15.000"))).empty());
  // Encoders write milliseconds: 15.015 s is declared 16, the seconds it occupies.
  CHECK(Problems(WithVideo(16, Vast("4.1", "00:00:15.015"))).empty());
}

TEST_CASE("a challenge's sample video is checked as VAST too, and keeps its tracker offsets") {
  auto with_sample = [](const std::string& vast) {
    std::string json = WithVideo(15, vast);
    const std::string video = R"("kind": "video", "duration": 15, "mime": "video/mp4", "vast")";
    REQUIRE(json.find(video) != std::string::npos);
    json.replace(json.find(video), video.size(),
                 R"("kind": "challenge", "hashtag": "#Dance", "title": "Dance", )"
                 R"("landing": "https://fizz.example/c", "sample_video")");
    return json;
  };
  CHECK(Problems(with_sample("hello world")) ==
        std::vector<std::string>{"/creatives/0/sample_video: not well-formed XML: text outside "
                                 "the root element at byte 0"});
  absl::StatusOr<engine::Campaign> c = ParseCampaign(with_sample(Vast("4.1", "00:00:12")));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->creatives[0].kind == engine::CreativeKind::kChallenge);
  CHECK(c->creatives[0].vast_protocol == 11);
  CHECK(c->creatives[0].vast_impression_offsets.size() == 1);
}

TEST_CASE("a 15 s VAST cannot pass for 13 s and fill a maxduration 13 slot") {
  // Declared 13, VAST 15: refused at upload.
  CHECK_FALSE(ParseCampaign(WithVideo(13, Vast("4.1", "00:00:15"))).ok());
  // Declared as what it is, it no longer fits.
  absl::StatusOr<engine::Campaign> c = ParseCampaign(WithVideo(15, Vast("4.1", "00:00:15")));
  REQUIRE(c.ok());
  engine::Imp imp;
  imp.id = "1";
  imp.video.emplace();
  imp.video->max_duration = 13;
  engine::CreativeMatch match;
  CHECK(engine::MatchCreative(*c, imp, &match) == engine::NoBidReason::kNoMatchingCreative);
  imp.video->max_duration = 15;
  CHECK(engine::MatchCreative(*c, imp, &match) == engine::NoBidReason::kNone);
}

}  // namespace
}  // namespace vetrina::campaigns

namespace vetrina::campaigns {
namespace {

// kValid with `fields` (JSON members, each followed by a comma) added before "creatives".
std::string ValidWith(std::string_view fields) {
  std::string json = kValid;
  json.replace(json.find("\"creatives\""), 0, fields);
  return json;
}

TEST_CASE("dsa: the campaign's DSA transparency information is read") {
  absl::StatusOr<engine::Campaign> c = ParseCampaign(ValidWith(R"("dsa": {
    "behalf": "Advertiser", "paid": "Agency GmbH", "adrender": 1,
    "transparency": [{"domain": "dsp1domain.com", "dsaparams": [1, 2]}]}, )"));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  REQUIRE(c->dsa.has_value());
  CHECK(c->dsa->behalf == "Advertiser");
  CHECK(c->dsa->paid == "Agency GmbH");
  CHECK(c->dsa->adrender == 1);
  CHECK(c->dsa->transparency == std::vector<engine::DsaTransparency>{{"dsp1domain.com", {1, 2}}});
  c = ParseCampaign(kValid);
  REQUIRE(c.ok());
  CHECK_FALSE(c->dsa.has_value());
}

TEST_CASE("every bid.ext.dsa of the DSA fixtures is a valid campaign dsa") {
  simdjson::dom::parser parser;
  simdjson::dom::element vectors;
  REQUIRE(parser.parse(vetrina::testing::Fixture("dsa/bid_dsa.json")).get(vectors) ==
          simdjson::SUCCESS);
  size_t count = 0;
  for (simdjson::dom::element vector : vectors.get_array()) {
    INFO(std::string_view(vector["name"]));
    ++count;
    absl::StatusOr<engine::Campaign> c = ParseCampaign(
        ValidWith(StrCat("\"dsa\": ", simdjson::minify(vector["bid_ext_dsa"]), ", ")));
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    REQUIRE(c->dsa.has_value());
    CHECK(c->dsa->behalf == std::string_view(vector["bid_ext_dsa"]["behalf"]));
    CHECK(c->dsa->adrender == int64_t(vector["bid_ext_dsa"]["adrender"]));
  }
  CHECK(count == 2);
}

TEST_CASE("dsa: each problem is reported with its JSON pointer") {
  const std::string long_name(101, 'a');
  // 51 two-byte characters: within 100 characters, but 102 bytes, too long for Prebid Server.
  std::string umlauts;
  for (int i = 0; i < 51; ++i) umlauts += "\xc3\xa4";
  CHECK(Problems(ValidWith(R"("dsa": {"paid": "", "adrender": 2, "behlf": "A"}, )")) ==
        std::vector<std::string>{
            "/dsa/behlf: unknown field \"behlf\"; did you mean \"behalf\"?",
            "/dsa/behalf: required",
            "/dsa/paid: length must be within [1, 100]",
            "/dsa/adrender: must be <= 1",
        });
  CHECK(Problems(ValidWith(StrCat(R"("dsa": {"behalf": ")", long_name, R"(", "paid": ")", umlauts,
                                  R"(", "adrender": 0}, )"))) ==
        std::vector<std::string>{
            "/dsa/behalf: length must be within [1, 100]",
            "/dsa/paid: must be at most 100 bytes of UTF-8",
        });
  CHECK(Problems(ValidWith(R"("dsa": {"behalf": "A", "paid": "A", "adrender": 0,
      "transparency": [{"domain": "d.example", "dsaparams": [4]}, {"domain": ""},
                       {"domain": "e.example", "dsaparams": []}, 7]}, )")) ==
        std::vector<std::string>{
            "/dsa/transparency/0/dsaparams/0: must be within [1, 3]",
            "/dsa/transparency/1/domain: length must be within [1, 256]",
            "/dsa/transparency/1/dsaparams: required",
            "/dsa/transparency/2/dsaparams: must have at least 1 item",
            "/dsa/transparency/3: must be an object",
        });
  CHECK(Problems(ValidWith(R"("dsa": [], )")) ==
        std::vector<std::string>{"/dsa: must be an object"});
}

TEST_CASE("political: the flag and the transparency information of Regulation (EU) 2024/900") {
  absl::StatusOr<engine::Campaign> c = ParseCampaign(ValidWith(R"("political": true,
    "political_transparency": {"sponsor": "Citizens for Parks",
      "notice_url": "https://parks.example/ad-notice", "election": "Municipal election 2027"}, )"));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->political);
  REQUIRE(c->political_transparency.has_value());
  CHECK(c->political_transparency->sponsor == "Citizens for Parks");
  CHECK(c->political_transparency->notice_url == "https://parks.example/ad-notice");
  CHECK(c->political_transparency->election == "Municipal election 2027");
  c = ParseCampaign(ValidWith(R"("political": true, )"));
  REQUIRE(c.ok());
  CHECK(c->political);
  CHECK_FALSE(c->political_transparency.has_value());  // valid: it then does not bid in the EU
  c = ParseCampaign(kValid);
  REQUIRE(c.ok());
  CHECK_FALSE(c->political);
}

TEST_CASE("political: each problem is reported with its JSON pointer") {
  CHECK(Problems(ValidWith(R"("political": "yes", )")) ==
        std::vector<std::string>{"/political: must be a boolean"});
  CHECK(Problems(ValidWith(R"("political_transparency": {"sponsor": "S",
      "notice_url": "https://n.example"}, )")) ==
        std::vector<std::string>{
            "/political_transparency: only for a political campaign (\"political\": true)"});
  CHECK(Problems(ValidWith(R"("political": true, "political_transparency": {
      "notice_url": "http://n.example", "election": "", "sponsr": "S"}, )")) ==
        std::vector<std::string>{
            "/political_transparency/sponsr: unknown field \"sponsr\"; did you mean \"sponsor\"?",
            "/political_transparency/sponsor: required",
            "/political_transparency/notice_url: must be an https URL",
            "/political_transparency/election: length must be within [1, 200]",
        });
}

TEST_CASE("require_authorised_supply: a boolean, false when absent") {
  absl::StatusOr<engine::Campaign> plain = ParseCampaign(kValid);
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->require_authorised_supply);
  std::string requiring = kValid;
  requiring.replace(requiring.find("\"status\""), 8,
                    "\"require_authorised_supply\": true, \"status\"");
  absl::StatusOr<engine::Campaign> c = ParseCampaign(requiring);
  REQUIRE(c.ok());
  CHECK(c->require_authorised_supply);
  std::string bad = kValid;
  bad.replace(bad.find("\"status\""), 8, "\"require_authorised_supply\": \"yes\", \"status\"");
  CHECK(Problems(bad) == std::vector<std::string>{"/require_authorised_supply: must be a boolean"});
}

}  // namespace
}  // namespace vetrina::campaigns
