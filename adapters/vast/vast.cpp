#include "adapters/vast/vast.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "adapters/vast/xml_scanner.h"
#include "base/strings.h"

namespace vetrina::vast {
namespace {

struct KnownVersion {
  std::string_view version;
  int inline_protocol;
  int wrapper_protocol;
};

// OpenRTB 2.6 list 5.8 (AdCOM 1.0 "Creative Subtypes - Audio/Video").
constexpr KnownVersion kKnownVersions[] = {
    {"2.0", 2, 5}, {"3.0", 3, 6}, {"4.0", 7, 8}, {"4.1", 11, 12}, {"4.2", 13, 14}, {"4.3", 15, 16},
};

// A positive pixel count: digits only, as the schemas' xs:integer width/height in practice are.
int ParsePixels(const std::string* text) {
  if (text == nullptr) return 0;
  const std::string_view s = StripAsciiWhitespace(*text);
  if (s.empty() || s.size() > 5) return 0;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

class Reader {
 public:
  Reader(const XmlDocument& doc, std::vector<std::string>* problems)
      : doc_(doc), problems_(problems) {}

  const XmlElement& At(int index) const { return doc_.elements[index]; }

  // The children of `parent` named `name`.
  std::vector<int> Children(const XmlElement& parent, std::string_view name) const {
    std::vector<int> out;
    for (int child : parent.children) {
      if (At(child).name == name) out.push_back(child);
    }
    return out;
  }

  void Problem(std::string message) { problems_->push_back(std::move(message)); }

  void ReadLinear(const XmlElement& linear, const std::string& where, VastSummary* out) {
    const std::vector<int> durations = Children(linear, "Duration");
    if (durations.size() != 1) {
      Problem(StrCat(where, ": <Linear> needs one <Duration>"));
    } else if (int64_t ms = ParseVastDuration(At(durations[0]).text); ms < 0) {
      Problem(StrCat(where, ": <Duration> must read HH:MM:SS or HH:MM:SS.mmm"));
    } else {
      out->linear_durations_ms.push_back(ms);
    }
    size_t media_files = 0;
    for (int files : Children(linear, "MediaFiles")) {
      for (int file : Children(At(files), "MediaFile")) {
        ++media_files;
        const engine::Size size{ParsePixels(At(file).Attribute("width")),
                                ParsePixels(At(file).Attribute("height"))};
        if (size.w <= 0 || size.h <= 0) {
          Problem(StrCat(where, ": <MediaFile> needs width and height in pixels (1 to 99999)"));
        } else if (std::find(out->media_sizes.begin(), out->media_sizes.end(), size) ==
                   out->media_sizes.end()) {
          out->media_sizes.push_back(size);
        }
      }
    }
    if (media_files == 0) Problem(StrCat(where, ": <Linear> needs a <MediaFiles>/<MediaFile>"));
  }

  // `body` is an <InLine> or <Wrapper>.
  void ReadAd(const XmlElement& body, const std::string& where, VastSummary* out) {
    if (body.children.empty() || At(body.children.front()).name != "AdSystem") {
      Problem(StrCat(where, ": <AdSystem> must be the first element of <", body.name, ">"));
    }
    const std::vector<int> impressions = Children(body, "Impression");
    if (impressions.empty()) {
      Problem(StrCat(where, ": <", body.name, "> needs an <Impression>"));
    } else {
      out->impression_offsets.push_back(At(impressions.front()).start);
    }
    if (body.name == "Wrapper") {
      if (Children(body, "VASTAdTagURI").size() != 1) {
        Problem(StrCat(where, ": <Wrapper> needs one <VASTAdTagURI>"));
      }
      return;
    }
    size_t linears = 0;
    for (int creatives : Children(body, "Creatives")) {
      for (int creative : Children(At(creatives), "Creative")) {
        for (int linear : Children(At(creative), "Linear")) {
          ++linears;
          ReadLinear(At(linear), where, out);
        }
      }
    }
    if (linears == 0) Problem(StrCat(where, ": <InLine> needs a <Creatives>/<Creative>/<Linear>"));
  }

 private:
  const XmlDocument& doc_;
  std::vector<std::string>* problems_;
};

// Whether `text`, leading whitespace aside, is an http:// URL (any letter case).
bool IsHttpUrl(std::string_view text) {
  text = StripAsciiWhitespace(text);
  constexpr std::string_view kScheme = "http://";
  return text.size() >= kScheme.size() &&
         std::equal(kScheme.begin(), kScheme.end(), text.begin(),
                    [](char a, char b) { return a == absl::ascii_tolower(b); });
}

}  // namespace

int VastProtocol(std::string_view version, bool wrapper) {
  for (const KnownVersion& known : kKnownVersions) {
    if (known.version == version) return wrapper ? known.wrapper_protocol : known.inline_protocol;
  }
  return 0;
}

int64_t ParseVastDuration(std::string_view text) {
  const std::string_view s = StripAsciiWhitespace(text);
  if (s.size() != 8 && s.size() != 12) return -1;
  auto digits = [&](size_t at, size_t count, int64_t* value) {
    *value = 0;
    for (size_t k = at; k < at + count; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      *value = *value * 10 + (s[k] - '0');
    }
    return true;
  };
  int64_t hours, minutes, seconds, millis = 0;
  if (!digits(0, 2, &hours) || s[2] != ':' || !digits(3, 2, &minutes) || s[5] != ':' ||
      !digits(6, 2, &seconds) || minutes > 59 || seconds > 59) {
    return -1;
  }
  if (s.size() == 12 && (s[8] != '.' || !digits(9, 3, &millis))) return -1;
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

VastSummary ReadVast(std::string_view xml, std::vector<std::string>* problems) {
  VastSummary out;
  absl::StatusOr<XmlDocument> doc = ScanXml(xml);
  if (!doc.ok()) {
    problems->push_back(StrCat("not well-formed XML: ", View(doc.status().message())));
    return out;
  }
  Reader read(*doc, problems);
  const XmlElement& root = doc->elements.front();
  if (root.name != "VAST") {
    read.Problem(StrCat("the root element must be <VAST>, not <", root.name, ">"));
    return out;
  }
  const std::string* version = root.Attribute("version");
  if (version == nullptr) {
    read.Problem("<VAST> needs a version");
  } else if (VastProtocol(*version, false) == 0) {
    read.Problem(
        StrCat("VAST version \"", *version, "\" is not one of 2.0, 3.0, 4.0, 4.1, 4.2, 4.3"));
  } else {
    out.version = *version;
  }
  const std::vector<int> ads = read.Children(root, "Ad");
  if (ads.empty()) read.Problem("<VAST> needs at least one <Ad>");
  bool any_wrapper = false;
  for (size_t n = 0; n < ads.size(); ++n) {
    const std::string where = StrCat("<Ad> ", n + 1);
    const XmlElement& ad = read.At(ads[n]);
    std::vector<int> bodies = read.Children(ad, "InLine");
    const std::vector<int> wrappers = read.Children(ad, "Wrapper");
    bodies.insert(bodies.end(), wrappers.begin(), wrappers.end());
    if (bodies.size() != 1) {
      read.Problem(StrCat(where, " needs one <InLine> or <Wrapper>"));
      continue;
    }
    any_wrapper = any_wrapper || !wrappers.empty();
    read.ReadAd(read.At(bodies.front()), where, &out);
  }
  if (!out.version.empty()) out.protocol = VastProtocol(out.version, any_wrapper);
  for (const XmlElement& element : doc->elements) {
    out.loads_http = out.loads_http || IsHttpUrl(element.text);
    for (const XmlAttribute& attribute : element.attributes) {
      // xmlns="http://www.iab.com/VAST" names the vocabulary; nothing fetches it.
      if (attribute.name == "xmlns" || attribute.name.rfind("xmlns:", 0) == 0) continue;
      out.loads_http = out.loads_http || IsHttpUrl(attribute.value);
    }
  }
  return out;
}

}  // namespace vetrina::vast
