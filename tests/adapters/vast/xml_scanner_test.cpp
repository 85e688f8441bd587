#include "adapters/vast/xml_scanner.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina::vast {
namespace {

TEST_CASE("a document's elements come with their attributes, text and byte offsets") {
  const std::string text =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->"
      "<VAST version='4.1'><Ad id=\"a&amp;1\"><X/><Impression><![CDATA[https://t/i?a=1&b=2]]>"
      "</Impression><T>a &lt;b&gt; &#65;&#x42; &quot;&apos;</T></Ad></VAST>\n<?pi data?>";
  absl::StatusOr<XmlDocument> doc = ScanXml(text);
  INFO(doc.status().ToString());
  REQUIRE(doc.ok());
  REQUIRE(doc->elements.size() == 5);
  const XmlElement& root = doc->elements[0];
  CHECK(root.name == "VAST");
  CHECK(*root.Attribute("version") == "4.1");
  CHECK(root.Attribute("id") == nullptr);
  CHECK(root.children == std::vector<int>{1});
  const XmlElement& ad = doc->elements[1];
  CHECK(*ad.Attribute("id") == "a&1");
  CHECK(ad.parent == 0);
  CHECK(ad.depth == 1);
  CHECK(ad.children == std::vector<int>{2, 3, 4});
  const XmlElement& empty = doc->elements[2];
  CHECK(text.substr(empty.start, 4) == "<X/>");
  CHECK(empty.content_start == empty.content_end);
  const XmlElement& impression = doc->elements[3];
  CHECK(text.substr(impression.start, 12) == "<Impression>");
  CHECK(impression.text == "https://t/i?a=1&b=2");
  CHECK(text.substr(impression.content_end, 13) == "</Impression>");
  CHECK(doc->elements[4].text == "a <b> AB \"'");
}

TEST_CASE("what is not well-formed XML 1.0 is refused, naming the byte") {
  struct Row {
    const char* rule;
    std::string text;
  };
  const Row rows[] = {
      {"XML 1.0 §2.1: a document has a root element", ""},
      {"XML 1.0 §2.1: a document has a root element", "hello world"},
      {"XML 1.0 §2.1: one root element", "<a/><b/>"},
      {"XML 1.0 §3: every start tag has its end tag", "<VAST><Ad><InLine><AdSystem>x</AdSystem>"},
      {"XML 1.0 §3: end tags match (GI)", "<a><b></a></b>"},
      {"XML 1.0 §3: an end tag without start", "<a></a></b>"},
      {"XML 1.0 §3.1: attribute values are quoted", "<a x=1/>"},
      {"XML 1.0 §3.1: unique attribute names", "<a x='1' x='2'/>"},
      {"XML 1.0 §3.1: whitespace between attributes", "<a x='1'y='2'/>"},
      {"XML 1.0 §3.1: no '<' in attribute values", "<a x='<'/>"},
      {"XML 1.0 §2.4: '&' starts a reference", "<a>fish & chips</a>"},
      {"XML 1.0 §4.1: only predefined entities without a DTD", "<a>&nbsp;</a>"},
      {"XML 1.0 §4.1: character references name XML characters", "<a>&#0;</a>"},
      {"XML 1.0 §4.1: character references in range", "<a>&#x110000;</a>"},
      {"XML 1.0 §2.4: ']]>' not in character data", "<a>]]></a>"},
      {"XML 1.0 §2.5: no '--' in comments", "<a><!-- a -- b --></a>"},
      {"XML 1.0 §2.5: comments are closed", "<a><!-- a</a>"},
      {"XML 1.0 §2.7: CDATA sections are closed", "<a><![CDATA[x</a>"},
      {"XML 1.0 §2.8: the XML declaration comes first", " <?xml version='1.0'?><a/>"},
      {"XML 1.0 §2.8: no DTD (we accept none)", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>"},
      {"XML 1.0 §2.2: characters are XML Chars", std::string("<a>\x01</a>")},
      {"XML 1.0 §2.2: UTF-8 is well formed", std::string("<a>\xC3</a>")},
      {"XML 1.0 §2.2: no overlong UTF-8", std::string("<a>\xE0\x80\xAF</a>")},
      {"XML 1.0 §2.3: names start with a letter", "<1a/>"},
      {"XML 1.0 §2.1: text outside the root", "<a/>x"},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.text);
    absl::StatusOr<XmlDocument> doc = ScanXml(row.text);
    CHECK_FALSE(doc.ok());
    if (!doc.ok())
      CHECK(std::string(doc.status().message()).find(" at byte ") != std::string::npos);
  }
}

TEST_CASE("nesting is bounded") {
  std::string deep;
  for (int i = 0; i < 10; ++i) deep += "<a>";
  for (int i = 0; i < 10; ++i) deep += "</a>";
  CHECK(ScanXml(deep, 10).ok());
  CHECK_FALSE(ScanXml(deep, 9).ok());
  std::string too_deep;
  for (int i = 0; i < 100000; ++i) too_deep += "<a>";
  CHECK_FALSE(ScanXml(too_deep).ok());
}

}  // namespace
}  // namespace vetrina::vast
