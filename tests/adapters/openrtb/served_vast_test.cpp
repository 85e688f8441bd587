// Every VAST document Vetrina serves (the demo and test creatives, with our <Impression> tracker
// spliced in) follows the IAB VAST schemas' element order. The XSDs themselves cannot ship with
// Vetrina, so their content models for the elements a served ad depends on are restated here,
// per version: vast_2.0.1.xsd, vast3_draft.xsd, vast4.xsd, vast_4.1.xsd, vast_4.2.xsd.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "../../support/files.h"
#include "../../support/temp_dir.h"
#include "adapters/campaigns/campaign_json.h"
#include "adapters/openrtb/response_writer.h"
#include "adapters/vast/xml_scanner.h"
#include "base/strings.h"
#include "engine/testing/synthetic.h"

namespace vetrina::openrtb {
namespace {

constexpr int kUnbounded = 1 << 30;

struct Particle {
  std::string_view name;
  int min = 1;
  int max = 1;
};

enum class Group { kSequence, kAll, kChoice };

struct ContentModel {
  Group group;
  std::vector<Particle> particles;
};

Particle Optional(std::string_view name) { return {name, 0, 1}; }
Particle Any(std::string_view name) { return {name, 0, kUnbounded}; }
Particle Some(std::string_view name) { return {name, 1, kUnbounded}; }
Particle One(std::string_view name) { return {name, 1, 1}; }

// Content models keyed by the element's path below its <Ad>.
using Models = std::map<std::string, ContentModel, std::less<>>;

Models Vast2() {  // vast_2.0.1.xsd
  return {
      {"InLine",
       {Group::kSequence,
        {One("AdSystem"), One("AdTitle"), Optional("Description"), Optional("Survey"),
         Optional("Error"), Some("Impression"), One("Creatives"), Optional("Extensions")}}},
      {"Wrapper",
       {Group::kSequence,
        {One("AdSystem"), One("VASTAdTagURI"), Optional("Error"), Some("Impression"),
         One("Creatives"), Optional("Extensions")}}},
      {"InLine/Creatives", {Group::kSequence, {Some("Creative")}}},
      {"InLine/Creatives/Creative",
       {Group::kChoice, {Optional("Linear"), Optional("CompanionAds"), Optional("NonLinearAds")}}},
      {"InLine/Creatives/Creative/Linear",
       {Group::kSequence,
        {One("Duration"), Optional("TrackingEvents"), Optional("AdParameters"),
         Optional("VideoClicks"), Optional("MediaFiles")}}},
      {"InLine/Creatives/Creative/Linear/MediaFiles", {Group::kSequence, {Some("MediaFile")}}},
  };
}

Models Vast3() {  // vast3_draft.xsd
  Models m = Vast2();
  m["InLine"] = {Group::kSequence,
                 {One("AdSystem"), One("AdTitle"), Optional("Description"), Optional("Advertiser"),
                  Optional("Pricing"), Optional("Survey"), Optional("Error"), Some("Impression"),
                  One("Creatives"), Optional("Extensions")}};
  m["InLine/Creatives/Creative/Linear"] = {
      Group::kSequence,
      {Optional("Icons"), Optional("CreativeExtensions"), One("Duration"),
       Optional("TrackingEvents"), Optional("AdParameters"), Optional("VideoClicks"),
       Optional("MediaFiles")}};
  return m;
}

// vast4.xsd: InLine and Wrapper extend AdDefinitionBase_type (AdSystem, Error*, Extensions?,
// Impression+, Pricing?, ViewableImpression?).
Models Vast40() {
  return {
      {"InLine",
       {Group::kSequence,
        {One("AdSystem"), Any("Error"), Optional("Extensions"), Some("Impression"),
         Optional("Pricing"), Optional("ViewableImpression"), One("AdTitle"),
         Optional("AdVerifications"), Optional("Advertiser"), Any("Category"), One("Creatives"),
         Optional("Description"), Optional("Survey")}}},
      {"Wrapper",
       {Group::kSequence,
        {One("AdSystem"), Any("Error"), Optional("Extensions"), Some("Impression"),
         Optional("Pricing"), Optional("ViewableImpression"), Optional("AdVerifications"),
         Optional("Creatives"), One("VASTAdTagURI")}}},
      {"InLine/Creatives", {Group::kSequence, {Some("Creative")}}},
      {"InLine/Creatives/Creative",
       {Group::kAll,
        {Optional("CompanionAds"), Optional("CreativeExtensions"), Optional("Linear"),
         Optional("NonLinearAds"), One("UniversalAdId")}}},
      {"InLine/Creatives/Creative/Linear",
       {Group::kSequence,
        {Optional("Icons"), Optional("TrackingEvents"), Optional("AdParameters"), One("Duration"),
         One("MediaFiles"), Optional("VideoClicks")}}},
      {"InLine/Creatives/Creative/Linear/MediaFiles",
       {Group::kSequence,
        {Some("MediaFile"), Optional("Mezzanine"), Any("InteractiveCreativeFile")}}},
  };
}

Models Vast41() {  // vast_4.1.xsd: AdServingId, Expires, BlockedAdCategories, ClosedCaptionFiles
  Models m = Vast40();
  m["InLine"] = {
      Group::kSequence,
      {One("AdSystem"), Any("Error"), Optional("Extensions"), Some("Impression"),
       Optional("Pricing"), Optional("ViewableImpression"), One("AdServingId"), One("AdTitle"),
       Optional("AdVerifications"), Optional("Advertiser"), Any("Category"), One("Creatives"),
       Optional("Description"), Optional("Expires"), Optional("Survey")}};
  m["Wrapper"] = {Group::kSequence,
                  {One("AdSystem"), Any("Error"), Optional("Extensions"), Some("Impression"),
                   Optional("Pricing"), Optional("ViewableImpression"), Optional("AdVerifications"),
                   Any("BlockedAdCategories"), Optional("Creatives"), One("VASTAdTagURI")}};
  m["InLine/Creatives/Creative/Linear/MediaFiles"] = {
      Group::kSequence,
      {Optional("ClosedCaptionFiles"), Some("MediaFile"), Any("Mezzanine"),
       Any("InteractiveCreativeFile")}};
  return m;
}

Models Vast42() {  // vast_4.2.xsd: Creative becomes a sequence, UniversalAdId 1..unbounded last
  Models m = Vast41();
  m["InLine/Creatives/Creative"] = {
      Group::kSequence,
      {Optional("CompanionAds"), Optional("CreativeExtensions"), Optional("Linear"),
       Optional("NonLinearAds"), Some("UniversalAdId")}};
  return m;
}

const Models* ModelsFor(std::string_view version) {
  static const std::map<std::string, Models, std::less<>> kModels = {
      {"2.0", Vast2()}, {"3.0", Vast3()}, {"4.0", Vast40()}, {"4.1", Vast41()}, {"4.2", Vast42()},
  };
  auto it = kModels.find(version);
  return it == kModels.end() ? nullptr : &it->second;
}

// Problems with `element`'s children against `model`; "" when none.
std::string CheckChildren(const vast::XmlDocument& doc, const vast::XmlElement& element,
                          const ContentModel& model) {
  std::vector<std::string_view> names;
  for (int child : element.children) names.push_back(doc.elements[child].name);
  const auto where = [&](std::string_view what) { return StrCat("<", element.name, ">: ", what); };
  if (model.group == Group::kSequence) {
    size_t at = 0;
    for (const Particle& p : model.particles) {
      int count = 0;
      while (at < names.size() && names[at] == p.name && count < p.max) {
        ++at;
        ++count;
      }
      if (count < p.min) {
        return where(StrCat("<", p.name, "> expected",
                            at < names.size() ? StrCat(", found <", names[at], ">") : ""));
      }
    }
    if (at < names.size()) return where(StrCat("<", names[at], "> is not expected here"));
    return "";
  }
  std::map<std::string_view, int> counts;
  for (std::string_view name : names) ++counts[name];
  int present = 0;
  for (const Particle& p : model.particles) {
    const int count = counts[p.name];
    if (count > 0) ++present;
    if (count > p.max) return where(StrCat("too many <", p.name, ">"));
    if (model.group == Group::kAll && count < p.min) return where(StrCat("<", p.name, "> missing"));
    counts.erase(p.name);
  }
  for (const auto& [name, count] : counts) {
    if (count > 0) return where(StrCat("<", name, "> is not expected here"));
  }
  if (model.group == Group::kChoice && present != 1) return where("one choice expected");
  return "";
}

// Problems with `xml` against its version's content models; "" when none.
std::string CheckStructure(std::string_view xml) {
  absl::StatusOr<vast::XmlDocument> doc = vast::ScanXml(xml);
  if (!doc.ok()) return std::string(View(doc.status().message()));
  const vast::XmlElement& root = doc->elements[0];
  if (root.name != "VAST") return "the root is not <VAST>";
  const std::string* version = root.Attribute("version");
  const Models* models = version == nullptr ? nullptr : ModelsFor(*version);
  if (models == nullptr) return "no VAST version with a known schema";
  bool any_ad = false;
  for (int index = 1; index < static_cast<int>(doc->elements.size()); ++index) {
    const vast::XmlElement& element = doc->elements[index];
    if (element.parent == 0) {
      if (element.name != "Ad" && element.name != "Error") return "<VAST> holds <Ad> or <Error>";
      if (element.name == "Ad") {
        any_ad = true;
        const std::string problem = CheckChildren(
            *doc, element, {Group::kChoice, {Optional("InLine"), Optional("Wrapper")}});
        if (!problem.empty()) return problem;
      }
    }
    // The element's path below its <Ad>.
    std::string path = element.name;
    int up = element.parent;
    while (up > 0 && doc->elements[up].name != "Ad") {
      path = StrCat(doc->elements[up].name, "/", path);
      up = doc->elements[up].parent;
    }
    if (up <= 0) continue;
    if (auto it = models->find(path); it != models->end()) {
      if (std::string problem = CheckChildren(*doc, element, it->second); !problem.empty()) {
        return StrCat(path, " ", problem);
      }
    }
  }
  return any_ad ? "" : "no <Ad>";
}

// xmllint's verdict on well-formedness, when it is installed (libxml2-utils).
bool XmllintAvailable() { return std::system("command -v xmllint >/dev/null 2>&1") == 0; }

bool XmllintWellFormed(std::string_view xml) {
  vetrina::testing::TempDir dir;
  const std::filesystem::path file = dir.path / "vast.xml";
  std::ofstream(file, std::ios::binary) << xml;
  return std::system(StrCat("xmllint --noout ", file.string(), " 2>/dev/null").c_str()) == 0;
}

const NoticeUrls kUrls{"https://bid.example/ev/imp?t=AD_1", "https://bid.example/ev/click?t=AD_1"};

TEST_CASE("the content models catch what the IAB schemas reject") {
  struct Row {
    const char* rule;
    const char* xml;
    const char* problem;
  };
  const Row rows[] = {
      {"VAST 4.1 §3.4.1 InLine: AdSystem first",
       "<VAST version=\"4.1\"><Ad><InLine><Impression>i</Impression><AdSystem>a</AdSystem>"
       "</InLine></Ad></VAST>",
       "<AdSystem> expected"},
      {"VAST 4.1 §3.4.1 InLine: Impression before AdTitle",
       "<VAST version=\"4.0\"><Ad><InLine><AdSystem>a</AdSystem><AdTitle>t</AdTitle>"
       "<Impression>i</Impression><Creatives/></InLine></Ad></VAST>",
       "<Impression> expected"},
      {"VAST 4.1 §3.4.1 InLine: AdServingId required",
       "<VAST version=\"4.1\"><Ad><InLine><AdSystem>a</AdSystem><Impression>i</Impression>"
       "<AdTitle>t</AdTitle></InLine></Ad></VAST>",
       "<AdServingId> expected"},
      {"VAST 2.0 Wrapper: VASTAdTagURI before Impression",
       "<VAST version=\"2.0\"><Ad><Wrapper><AdSystem>a</AdSystem><Impression>i</Impression>"
       "<VASTAdTagURI>u</VASTAdTagURI><Creatives/></Wrapper></Ad></VAST>",
       "<VASTAdTagURI> expected"},
      {"VAST 4.1 §3.7 Creative: UniversalAdId required",
       "<VAST version=\"4.1\"><Ad><InLine><AdSystem>a</AdSystem><Impression>i</Impression>"
       "<AdServingId>s</AdServingId><AdTitle>t</AdTitle><Creatives><Creative><Linear>"
       "<Duration>00:00:01</Duration><MediaFiles><MediaFile>m</MediaFile></MediaFiles>"
       "</Linear></Creative></Creatives></InLine></Ad></VAST>",
       "<UniversalAdId> missing"},
      {"VAST 4.1 §3.8 Linear: Duration before MediaFiles",
       "<VAST version=\"4.1\"><Ad><InLine><AdSystem>a</AdSystem><Impression>i</Impression>"
       "<AdServingId>s</AdServingId><AdTitle>t</AdTitle><Creatives><Creative>"
       "<UniversalAdId idRegistry=\"x\">u</UniversalAdId><Linear><MediaFiles><MediaFile>m"
       "</MediaFile></MediaFiles><Duration>00:00:01</Duration></Linear></Creative></Creatives>"
       "</InLine></Ad></VAST>",
       "<Duration> expected"},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(CheckStructure(row.xml).find(row.problem) != std::string::npos);
  }
}

TEST_CASE("every VAST we serve follows its schema's element order, tracker included") {
  struct Served {
    std::string name;
    engine::Creative creative;
  };
  std::vector<Served> served;
  absl::StatusOr<std::vector<campaigns::CampaignFile>> demos =
      campaigns::LoadCampaignFiles((vetrina::testing::SourceDir() / "schemas/examples").string());
  REQUIRE(demos.ok());
  for (const campaigns::CampaignFile& file : *demos) {
    for (const engine::Creative& c : file.campaign.creatives) {
      if (c.kind == engine::CreativeKind::kVideo) served.push_back({file.path + " " + c.id, c});
    }
  }
  engine::SyntheticWorld world(7);
  for (const engine::Campaign& c : world.Campaigns(50)) {
    for (const engine::Creative& creative : c.creatives) {
      if (creative.kind == engine::CreativeKind::kVideo) {
        served.push_back({"synthetic " + c.id, creative});
        break;
      }
    }
  }
  REQUIRE(served.size() >= 3);
  const bool xmllint = XmllintAvailable();
  for (const Served& s : served) {
    INFO(s.name);
    const std::string markup = TrackedMarkup(s.creative, engine::MediaType::kVideo, kUrls);
    CHECK(CheckStructure(s.creative.markup) == "");
    CHECK(CheckStructure(markup) == "");
    CHECK(markup.find("<Impression><![CDATA[https://bid.example/ev/imp?t=AD_1]]></Impression>") !=
          std::string::npos);
    if (xmllint) CHECK(XmllintWellFormed(markup));
  }
  // The challenge creatives' sample video (a native video asset) is VAST too.
  for (const campaigns::CampaignFile& file : *demos) {
    for (const engine::Creative& c : file.campaign.creatives) {
      if (c.kind != engine::CreativeKind::kChallenge) continue;
      INFO(file.path);
      CHECK(CheckStructure(c.markup) == "");
    }
  }
}

}  // namespace
}  // namespace vetrina::openrtb
