#include "adapters/vast/vast.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina::vast {
namespace {

// A VAST 4.1 InLine with its elements in the schema's order.
std::string InLine41(std::string_view duration = "00:00:15") {
  return std::string(
             "<VAST version=\"4.1\"><Ad id=\"a\"><InLine><AdSystem>Vetrina</AdSystem>"
             "<Impression><![CDATA[https://t.example/imp]]></Impression>"
             "<AdServingId>a-1</AdServingId><AdTitle>T</AdTitle><Creatives><Creative>"
             "<UniversalAdId idRegistry=\"unknown\">unknown</UniversalAdId><Linear><Duration>") +
         std::string(duration) +
         "</Duration><MediaFiles>"
         "<MediaFile delivery=\"progressive\" type=\"video/mp4\" width=\"1280\" height=\"720\">"
         "<![CDATA[https://cdn.example/a.mp4]]></MediaFile>"
         "<MediaFile delivery=\"progressive\" type=\"video/mp4\" width=\"720\" height=\"1280\">"
         "<![CDATA[https://cdn.example/b.mp4]]></MediaFile>"
         "</MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>";
}

const char kWrapper30[] =
    "<VAST version=\"3.0\"><Ad><Wrapper><AdSystem>Vetrina</AdSystem>"
    "<VASTAdTagURI><![CDATA[https://ads.example/vast.xml]]></VASTAdTagURI><Error>e</Error>"
    "<Impression>https://t.example/imp</Impression><Creatives/></Wrapper></Ad></VAST>";

TEST_CASE("a VAST InLine yields its version, protocol, duration, media sizes and Impression") {
  std::vector<std::string> problems;
  const std::string xml = InLine41();
  VastSummary vast = ReadVast(xml, &problems);
  CHECK(problems.empty());
  CHECK(vast.version == "4.1");
  CHECK(vast.protocol == 11);
  CHECK(vast.linear_durations_ms == std::vector<int64_t>{15000});
  CHECK(vast.media_sizes == std::vector<engine::Size>{{1280, 720}, {720, 1280}});
  REQUIRE(vast.impression_offsets.size() == 1);
  CHECK(xml.substr(vast.impression_offsets[0], 12) == "<Impression>");
}

TEST_CASE("an ad loads plain http when any URL in it is http://, its namespace aside") {
  std::vector<std::string> problems;
  std::string xml = InLine41();
  xml.insert(xml.find(" version"), " xmlns=\"http://www.iab.com/VAST\"");
  CHECK_FALSE(ReadVast(xml, &problems).loads_http);
  struct Row {
    const char* what;
    std::string from, to;
  } rows[] = {
      {"a media file", "https://cdn.example/a.mp4", "http://cdn.example/a.mp4"},
      {"a tracker, in any letter case", "https://t.example/imp", "  HTTP://t.example/imp"},
      {"an attribute", "idRegistry=\"unknown\"", "idRegistry=\"http://registry.example\""},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    std::string changed = xml;
    changed.replace(changed.find(row.from), row.from.size(), row.to);
    VastSummary vast = ReadVast(changed, &problems);
    CHECK(problems.empty());
    CHECK(vast.loads_http);
  }
}

TEST_CASE("a Wrapper is its version's wrapper protocol; every Ad gets an insertion point") {
  std::vector<std::string> problems;
  VastSummary wrapper = ReadVast(kWrapper30, &problems);
  CHECK(problems.empty());
  CHECK(wrapper.protocol == 6);  // VAST 3.0 Wrapper
  CHECK(wrapper.linear_durations_ms.empty());

  // An ad pod of two ads: one offset each.
  std::string pod = InLine41();
  const std::string ad = pod.substr(pod.find("<Ad "), pod.find("</VAST>") - pod.find("<Ad "));
  pod.insert(pod.find("</VAST>"), ad);
  VastSummary two = ReadVast(pod, &problems);
  CHECK(problems.empty());
  REQUIRE(two.impression_offsets.size() == 2);
  CHECK(two.impression_offsets[0] < two.impression_offsets[1]);
  for (uint32_t at : two.impression_offsets) CHECK(pod.substr(at, 12) == "<Impression>");
}

TEST_CASE("list 5.8 protocol values for each VAST version") {
  struct Row {
    const char* rule;
    const char* version;
    int inline_protocol;
    int wrapper_protocol;
  };
  const Row rows[] = {
      {"OpenRTB 2.6 list 5.8: 2 VAST 2.0, 5 VAST 2.0 Wrapper", "2.0", 2, 5},
      {"OpenRTB 2.6 list 5.8: 3 VAST 3.0, 6 VAST 3.0 Wrapper", "3.0", 3, 6},
      {"OpenRTB 2.6 list 5.8: 7 VAST 4.0, 8 VAST 4.0 Wrapper", "4.0", 7, 8},
      {"OpenRTB 2.6 list 5.8: 11 VAST 4.1, 12 VAST 4.1 Wrapper", "4.1", 11, 12},
      {"OpenRTB 2.6 list 5.8: 13 VAST 4.2, 14 VAST 4.2 Wrapper", "4.2", 13, 14},
      {"OpenRTB 2.6 list 5.8: 15 VAST 4.3, 16 VAST 4.3 Wrapper", "4.3", 15, 16},
      {"VAST 1.0 is not served", "1.0", 0, 0},
      {"versions are exact", "4", 0, 0},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(VastProtocol(row.version, false) == row.inline_protocol);
    CHECK(VastProtocol(row.version, true) == row.wrapper_protocol);
  }
}

TEST_CASE("VAST Duration reads HH:MM:SS or HH:MM:SS.mmm") {
  CHECK(ParseVastDuration("00:00:15") == 15000);
  CHECK(ParseVastDuration(" 01:02:03.250 ") == 3723250);
  CHECK(ParseVastDuration("00:00:60") == -1);
  CHECK(ParseVastDuration("00:60:00") == -1);
  CHECK(ParseVastDuration("0:00:15") == -1);
  CHECK(ParseVastDuration("00:00:15.5") == -1);
  CHECK(ParseVastDuration("15") == -1);
}

TEST_CASE("what a served VAST needs, each missing piece a problem") {
  struct Row {
    const char* rule;
    std::string xml;
    const char* problem;  // a part of the (first) problem
  };
  std::string no_impression = InLine41();
  no_impression.erase(no_impression.find("<Impression>"),
                      no_impression.find("<AdServingId>") - no_impression.find("<Impression>"));
  std::string adsystem_second = InLine41();
  adsystem_second.replace(adsystem_second.find("<AdSystem>Vetrina</AdSystem>"), 28, "");
  adsystem_second.insert(adsystem_second.find("<AdServingId>"), "<AdSystem>Vetrina</AdSystem>");
  std::string no_size = InLine41();
  no_size.replace(no_size.find(" width=\"1280\""), 13, "");
  std::string bad_size = InLine41();
  bad_size.replace(bad_size.find("width=\"1280\""), 12, "width=\"wide\"");
  std::string no_linear = InLine41();
  no_linear.replace(no_linear.find("<Creatives>"),
                    no_linear.find("</Creatives>") + 12 - no_linear.find("<Creatives>"), "");
  std::string wrapper_without_uri = kWrapper30;
  wrapper_without_uri.replace(
      wrapper_without_uri.find("<VASTAdTagURI>"),
      wrapper_without_uri.find("<Error>") - wrapper_without_uri.find("<VASTAdTagURI>"), "");
  const Row rows[] = {
      {"XML 1.0: well-formed", "hello world", "not well-formed XML"},
      {"XML 1.0: well-formed", "<VAST><Ad><InLine><AdSystem>x</AdSystem>", "not well-formed XML"},
      {"VAST 4.1 §3.1: the root is <VAST>", "<vast version=\"4.1\"/>", "root element must be"},
      {"VAST 4.1 §3.1: version is required", "<VAST><Ad/></VAST>", "needs a version"},
      {"VAST: a version we know", "<VAST version=\"1.0\"><Ad/></VAST>", "not one of"},
      {"VAST 4.1 §3.1: an ad to serve", "<VAST version=\"4.1\"></VAST>", "at least one <Ad>"},
      {"VAST 4.1 §3.2: Ad holds InLine or Wrapper", "<VAST version=\"4.1\"><Ad/></VAST>",
       "one <InLine> or <Wrapper>"},
      {"VAST 4.1 §3.4.1 InLine: AdSystem first", adsystem_second, "<AdSystem> must be the first"},
      {"VAST 4.1 §3.4.1 InLine: Impression required", no_impression, "needs an <Impression>"},
      {"VAST 4.1 §3.4.2 Wrapper: VASTAdTagURI required", wrapper_without_uri, "<VASTAdTagURI>"},
      {"VAST 4.1 §3.8 Linear: Duration HH:MM:SS(.mmm)", InLine41("15s"), "<Duration> must read"},
      {"VAST 4.1 §3.9 MediaFile: width required", no_size, "needs width and height"},
      {"VAST 4.1 §3.9 MediaFile: width in pixels", bad_size, "needs width and height"},
      {"Vetrina: an InLine serves a Linear video", no_linear, "<Linear>"},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.xml);
    std::vector<std::string> problems;
    ReadVast(row.xml, &problems);
    REQUIRE_FALSE(problems.empty());
    CHECK(problems[0].find(row.problem) != std::string::npos);
  }
}

}  // namespace
}  // namespace vetrina::vast
