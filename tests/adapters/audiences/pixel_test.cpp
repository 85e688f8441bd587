#include "adapters/audiences/pixel.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace vetrina::audiences {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

PixelHit MustParse(const std::string& query) {
  absl::StatusOr<PixelHit> hit = ParsePixelQuery(query);
  INFO(query << ": " << hit.status().ToString());
  REQUIRE(hit.ok());
  return *std::move(hit);
}

void ExpectInvalid(const std::string& query) {
  INFO(query);
  CHECK(ParsePixelQuery(query).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("UrlDecode turns %XX and + into bytes") {
  CHECK(UrlDecode("") == "");
  CHECK(UrlDecode("plain-text_1.2~") == "plain-text_1.2~");
  CHECK(UrlDecode("a+b%20c") == "a b c");
  CHECK(UrlDecode("%2B%2b") == "++");  // either case of hex digit; an escaped '+' stays '+'
  CHECK(UrlDecode("%41%42C") == "ABC");
  CHECK(UrlDecode("%e2%82%ac") == "\xe2\x82\xac");
  CHECK(UrlDecode("%00") == std::string(1, '\0'));
  CHECK(UrlDecode("%2541") == "%41");  // decoded once, not twice
}

TEST_CASE("UrlDecode refuses a broken escape") {
  for (const char* bad : {"%", "%4", "a%", "ab%4", "%zz", "%G1", "%1G", "%-1", "% 1", "x%%41"}) {
    INFO(bad);
    CHECK_FALSE(UrlDecode(bad).has_value());
  }
}

TEST_CASE("a valid hit gives the event, its parameters in order, and one key per user id") {
  PixelHit hit = MustParse("a=shop&e=add_to_cart&ifa=ID-1&uid=u%2B1&p.value=80&p.sku=a+b&x=1");
  CHECK(hit.event.advertiser == "shop");
  CHECK(hit.event.event == "add_to_cart");
  CHECK(hit.event.params == Params{{"value", "80"}, {"sku", "a b"}});
  REQUIRE(hit.keys.size() == 2);
  CHECK(hit.keys[0] == *engine::KeyForId("ID-1"));
  CHECK(hit.keys[1] == *engine::KeyForId("u+1"));  // decoded before keying
  CHECK(hit.signals.device.ifa == "ID-1");
  // No privacy parameters: every signal stays unset.
  CHECK_FALSE(hit.signals.regs.gdpr.has_value());
  CHECK_FALSE(hit.signals.regs.coppa.has_value());
  CHECK_FALSE(hit.signals.device.lmt.has_value());
  CHECK_FALSE(hit.signals.device.atts.has_value());
  CHECK(hit.signals.user.consent.empty());
}

TEST_CASE("keys and values are percent-decoded; empty pairs are skipped") {
  PixelHit hit = MustParse("%61=sh%6Fp&&e=view&&&%75id=Mixed%20Case&p.q=%3D%26");
  CHECK(hit.event.advertiser == "shop");
  REQUIRE(hit.keys.size() == 1);
  CHECK(hit.keys[0] == *engine::KeyForId("mixed case"));  // ids are keyed lower-cased
  CHECK(hit.event.params == Params{{"q", "=&"}});
}

TEST_CASE("the zero IFA keys no one, but a uid beside it still does") {
  PixelHit hit = MustParse("a=shop&e=view&ifa=00000000-0000-0000-0000-000000000000&uid=u1");
  REQUIRE(hit.keys.size() == 1);
  CHECK(hit.keys[0] == *engine::KeyForId("u1"));
  ExpectInvalid("a=shop&e=view&ifa=00000000-0000-0000-0000-000000000000");
}

TEST_CASE("privacy signals land where the privacy rules read them") {
  const std::string tcf = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA";
  PixelHit hit = MustParse("a=shop&e=view&uid=u1&coppa=0&gdpr=1&gdpr_consent=" + tcf +
                           "&us_privacy=1YNN&gpp=DBABM~" + tcf + "&gpp_sid=2%2C6&lmt=1&atts=3");
  CHECK(hit.signals.regs.coppa == 0);
  CHECK(hit.signals.regs.gdpr == 1);
  CHECK(hit.signals.user.consent == tcf);
  CHECK(hit.signals.regs.us_privacy == "1YNN");
  CHECK(hit.signals.regs.gpp == "DBABM~" + tcf);
  CHECK(hit.signals.regs.gpp_sid == std::vector<int>{2, 6});
  CHECK(hit.signals.device.lmt == 1);
  CHECK(hit.signals.device.atts == 3);
}

TEST_CASE("malformed privacy flags and section ids are refused") {
  const std::string base = "a=shop&e=view&uid=u1&";
  for (const char* bad :
       {"gdpr=yes", "gdpr=1x", "gdpr=", "gdpr", "coppa=1.0", "lmt=+1", "atts=99999999999",
        "gpp_sid=2,x", "gpp_sid=2,,6", "gpp_sid=,2", "gpp_sid=2;6"}) {
    ExpectInvalid(base + bad);
  }
  std::string many_sids = base + "gpp_sid=1";
  for (int i = 2; i <= 40; ++i) many_sids += "," + std::to_string(i);
  ExpectInvalid(many_sids);
}

TEST_CASE("a hit needs a valid advertiser, a valid event and a user id") {
  for (const char* bad :
       {"", "&&&", "a=shop", "e=view&uid=u1", "a=shop&uid=u1", "a=shop&e=view", "a=&e=view&uid=u1",
        "a=shop&e=&uid=u1", "a=shop&e=view&uid=", "a=../x&e=view&uid=u1",
        "a=shop%2Fx&e=view&uid=u1", "a=shop&e=add+to+cart&uid=u1", "a=shop&e=view&uid=%zz",
        "a%zz=shop&e=view&uid=u1"}) {
    ExpectInvalid(bad);
  }
}

TEST_CASE("values are bounded: 256 bytes, consent strings 8 KiB") {
  const std::string base = "a=shop&e=view&uid=u1";
  MustParse(base + "&p.k=" + std::string(256, 'v'));
  ExpectInvalid(base + "&p.k=" + std::string(257, 'v'));
  ExpectInvalid(base + "&us_privacy=" + std::string(257, 'v'));
  ExpectInvalid("a=shop&e=view&uid=" + std::string(257, 'u'));
  // The bound applies to the decoded value.
  std::string escaped;
  for (int i = 0; i < 256; ++i) escaped += "%41";
  MustParse(base + "&p.k=" + escaped);
  for (const char* key : {"gdpr_consent", "gpp"}) {
    INFO(key);
    MustParse(base + "&" + key + "=" + std::string(8192, 'C'));
    ExpectInvalid(base + "&" + key + "=" + std::string(8193, 'C'));
  }
}

TEST_CASE("at most 32 parameters") {
  std::string query = "a=shop&e=view&uid=u1";
  for (int i = 0; i < 29; ++i) query += "&p.k" + std::to_string(i) + "=v";
  MustParse(query);  // 32
  ExpectInvalid(query + "&p.one_more=v");
  ExpectInvalid(query + "&unknown=v");  // unknown parameters count too
}

engine::Audience PixelAudience(std::string id, engine::SegmentId segment) {
  engine::Audience a;
  a.id = std::move(id);
  a.advertiser = "shop";
  a.kind = engine::AudienceKind::kPixel;
  a.ttl_days = 30;
  a.segment = segment;
  return a;
}

TEST_CASE("an event adds each key to every audience whose rule it matches") {
  engine::AudienceRegistry registry;
  engine::Audience carts = PixelAudience("carts", 5);
  carts.rule.events = {"add_to_cart"};
  carts.rule.recency_days = 7;
  carts.rule.exclude_events = {"purchase"};
  carts.rule.conditions = {
      {.param = "value", .op = engine::PixelCondition::Op::kGe, .values = {}, .number = 50}};
  engine::Audience visitors = PixelAudience("visitors", 6);
  visitors.rule.events = {"view", "add_to_cart"};
  registry.pixel_audiences["shop"] = {carts, visitors};

  const PixelHit hit = MustParse("a=shop&e=add_to_cart&ifa=ID-1&uid=u1&p.value=80");
  std::vector<engine::AudienceUpdate> updates = PixelUpdates(registry, hit, 100);
  REQUIRE(updates.size() == 4);
  for (const engine::AudienceUpdate& u : updates) {
    CHECK_FALSE(u.remove);
    // Membership lasts the recency window when it is shorter than the TTL.
    CHECK(u.expires == (u.segment == 5 ? 107 : 130));
  }
  CHECK(updates[0].key == hit.keys[0]);
  CHECK(updates[1].key == hit.keys[1]);

  const PixelHit cheap = MustParse("a=shop&e=add_to_cart&uid=u1&p.value=10");
  updates = PixelUpdates(registry, cheap, 100);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].segment == 6);

  const PixelHit bought = MustParse("a=shop&e=purchase&uid=u1");
  updates = PixelUpdates(registry, bought, 100);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].segment == 5);
  CHECK(updates[0].remove);

  CHECK(PixelUpdates(registry, MustParse("a=other&e=view&uid=u1"), 100).empty());
  CHECK(PixelUpdates(registry, MustParse("a=shop&e=search&uid=u1"), 100).empty());
}

TEST_CASE("bundle names the app, for the registry of child-directed apps") {
  CHECK(MustParse("a=shop&e=view&uid=u1&bundle=com.example.kids").signals.publication.bundle ==
        "com.example.kids");
  CHECK(MustParse("a=shop&e=view&uid=u1").signals.publication.bundle.empty());
}

TEST_CASE("COPPA: a child-directed event may change no membership; others may") {
  const absl::flat_hash_set<std::string> child_apps = {"com.example.kids"};
  const engine::PrivacyPolicy policy{.child_directed_apps = &child_apps};
  struct Row {
    std::string rule;
    std::string query;
    bool stored;
  };
  const std::vector<Row> rows = {
      {"no signal: stored", "a=shop&e=view&uid=u1", true},
      {"coppa=0: stored", "a=shop&e=view&uid=u1&coppa=0", true},
      {"another app: stored", "a=shop&e=view&uid=u1&bundle=com.example.news", true},
      {"COPPA (regs.coppa = 1): dropped", "a=shop&e=view&uid=u1&coppa=1", false},
      {"child_directed_app (registered bundle): dropped",
       "a=shop&e=view&ifa=6d92078a-8246-4ba4-ae5b-76104861e7dc&bundle=com.example.kids", false},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    const engine::PrivacyDecision decision = PixelPrivacy(MustParse(row.query), policy);
    CHECK(decision.audiences_allowed == row.stored);
    CHECK(decision.child_directed == !row.stored);
  }
}

TEST_CASE("the pixel is a 1x1 GIF") {
  const std::string_view gif = PixelGif();
  REQUIRE(gif.size() > 10);
  CHECK(gif.substr(0, 6) == "GIF89a");
  CHECK(gif[6] == 1);  // width, little-endian
  CHECK(gif[7] == 0);
  CHECK(gif[8] == 1);  // height
  CHECK(gif[9] == 0);
  CHECK(gif.back() == ';');  // trailer
}

}  // namespace
}  // namespace vetrina::audiences
