#include "adapters/campaigns/campaign_json.h"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "adapters/vast/vast.h"
#include "base/did_you_mean.h"
#include "base/json_syntax.h"
#include "base/strings.h"
#include "engine/core/money.h"

namespace vetrina::campaigns {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// JSON Schema counts string length in code points, not bytes.
size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]
// (\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$ — the schema's date-time pattern.
bool MatchesDateTime(std::string_view s) {
  auto two = [&](size_t at, int max) {
    return at + 2 <= s.size() && IsDigit(s[at]) && IsDigit(s[at + 1]) &&
           (s[at] - '0') * 10 + (s[at + 1] - '0') <= max;
  };
  if (s.size() < 20) return false;
  for (int i = 0; i < 4; ++i) {
    if (!IsDigit(s[i])) return false;
  }
  if (s[4] != '-' || !two(5, 12) || s.substr(5, 2) == "00" || s[7] != '-' || !two(8, 31) ||
      s.substr(8, 2) == "00" || s[10] != 'T' || !two(11, 23) || s[13] != ':' || !two(14, 59) ||
      s[16] != ':' || !two(17, 59)) {
    return false;
  }
  size_t i = 19;
  if (s[i] == '.') {
    size_t digits = 0;
    for (++i; i < s.size() && IsDigit(s[i]); ++i) ++digits;
    if (digits < 1 || digits > 9) return false;
  }
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && two(i + 1, 23) && s[i + 3] == ':' &&
         two(i + 4, 59);
}

// JSON Schema's "integer" includes numbers like 3.0.
bool GetInteger(element e, int64_t* out) {
  if (e.get_int64().get(*out) == simdjson::SUCCESS) return true;
  double d;
  if (e.get_double().get(d) != simdjson::SUCCESS) return false;
  if (!(d >= -9.2e18 && d <= 9.2e18) || d != static_cast<double>(static_cast<int64_t>(d))) {
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// A string pattern from the schema, checked by hand (no regex engine on this path).
struct Pattern {
  bool (*matches)(std::string_view);
  const char* text;  // the schema's regular expression, for the message
};

// Collects problems while walking the document; every check names its JSON pointer.
class Checker {
 public:
  void Add(std::string pointer, std::string message) {
    problems_.push_back({std::move(pointer), std::move(message)});
  }
  const std::vector<Problem>& problems() const { return problems_; }

  // Fields not in `allowed` are errors: the schema says additionalProperties: false, so a typo
  // ("contry") is reported, with the field it likely meant, instead of silently widening
  // targeting.
  void NoUnknownFields(object obj, const std::string& at,
                       std::initializer_list<std::string_view> allowed) {
    for (auto [key, value] : obj) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string message = StrCat("unknown field \"", key, "\"");
        if (std::optional<std::string_view> hint = DidYouMean(
                key, std::span<const std::string_view>(allowed.begin(), allowed.size()))) {
          StrAppend(&message, "; did you mean \"", *hint, "\"?");
        }
        Add(StrCat(at, "/", key), std::move(message));
      }
    }
  }

  bool GetObject(element e, const std::string& at, object* out) {
    if (e.get_object().get(*out) != simdjson::SUCCESS) {
      Add(at, "must be an object");
      return false;
    }
    return true;
  }

  // Required string with a length range.
  bool String(object obj, std::string_view key, const std::string& at, bool required,
              std::string* out, size_t min_len = 1, size_t max_len = 4096) {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) {
      if (required) Add(at + "/" + std::string(key), "required");
      return false;
    }
    std::string_view s;
    const std::string here = StrCat(at, "/", key);
    if (e.get_string().get(s) != simdjson::SUCCESS) {
      Add(here, "must be a string");
      return false;
    }
    if (CodePoints(s) < min_len || CodePoints(s) > max_len) {
      Add(here, StrCat("length must be within [", min_len, ", ", max_len, "]"));
      return false;
    }
    out->assign(s);
    return true;
  }

  // An absolute http(s) URL of printable ASCII: it may end up in a Location header, where a
  // space, CR or LF would split the response.
  bool Url(object obj, std::string_view key, const std::string& at, bool required,
           std::string* out) {
    if (!String(obj, key, at, required, out)) return false;
    const size_t scheme = absl::StartsWith(*out, "https://")  ? 8
                          : absl::StartsWith(*out, "http://") ? 7
                                                              : 0;
    const bool printable =
        std::all_of(out->begin(), out->end(), [](char c) { return c > ' ' && c <= '~'; });
    if (scheme == 0 || out->size() == scheme || !printable) {
      Add(StrCat(at, "/", key), "must be an http(s) URL of printable ASCII, without spaces");
      out->clear();
      return false;
    }
    return true;
  }

  // An https URL only: pages a secure (https) ad may link to.
  bool HttpsUrl(object obj, std::string_view key, const std::string& at, bool required,
                std::string* out) {
    if (!Url(obj, key, at, required, out)) return false;
    if (!absl::StartsWith(*out, "https://")) {
      Add(StrCat(at, "/", key), "must be an https URL");
      out->clear();
      return false;
    }
    return true;
  }

  // An app link ("shopapp://product/7"): SCHEME://REST of printable ASCII, where the scheme is not
  // one that runs script or reads local data.
  bool AppLink(object obj, std::string_view key, const std::string& at, std::string* out) {
    if (!String(obj, key, at, false, out)) return false;
    const size_t colon = out->find("://");
    const std::string scheme = absl::AsciiStrToLower(out->substr(0, colon));
    const bool scheme_ok =
        colon != std::string::npos && colon > 0 && absl::ascii_isalpha(scheme[0]) &&
        std::all_of(scheme.begin(), scheme.end(),
                    [](char c) {
                      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
                             c == '.' || c == '-';
                    }) &&
        scheme != "javascript" && scheme != "data" && scheme != "vbscript" && scheme != "file";
    const bool printable =
        std::all_of(out->begin(), out->end(), [](char c) { return c > ' ' && c <= '~'; });
    if (!scheme_ok || !printable || out->size() == colon + 3) {
      Add(StrCat(at, "/", key),
          "must be an app link SCHEME://... of printable ASCII (not javascript, data, vbscript or "
          "file)");
      out->clear();
      return false;
    }
    return true;
  }

  bool Int(object obj, std::string_view key, const std::string& at, bool required, int* out,
           int64_t min, int64_t max) {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) {
      if (required) Add(at + "/" + std::string(key), "required");
      return false;
    }
    const std::string here = StrCat(at, "/", key);
    int64_t n;
    if (!GetInteger(e, &n)) {
      Add(here, "must be an integer");
      return false;
    }
    if (n < min) {
      Add(here, StrCat("must be >= ", min));
      return false;
    }
    if (n > max) {
      Add(here, StrCat("must be <= ", max));
      return false;
    }
    *out = static_cast<int>(n);
    return true;
  }

  bool Bool(object obj, std::string_view key, const std::string& at, bool* out) {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) return false;
    if (e.get_bool().get(*out) != simdjson::SUCCESS) {
      Add(StrCat(at, "/", key), "must be a boolean");
      return false;
    }
    return true;
  }

  // A money amount in currency units; must be > 0 when `positive`, else >= 0.
  bool Money(object obj, std::string_view key, const std::string& at, bool required,
             engine::Micros* out, bool positive) {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) {
      if (required) Add(at + "/" + std::string(key), "required");
      return false;
    }
    const std::string here = StrCat(at, "/", key);
    double units;
    if (e.get_double().get(units) != simdjson::SUCCESS) {
      Add(here, "must be a number");
      return false;
    }
    if (positive ? !(units > 0) : !(units >= 0)) {
      Add(here, positive ? "must be > 0" : "must be >= 0");
      return false;
    }
    std::optional<engine::Micros> micros = engine::MicrosFromUnits(units);
    if (!micros) {
      Add(here, StrCat("must be <= ", engine::kMaxUnits));
      return false;
    }
    *out = *micros;
    return true;
  }

  bool StringArray(object obj, std::string_view key, const std::string& at,
                   std::vector<std::string>* out, size_t max_len = 256,
                   const Pattern* pattern = nullptr) {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) return false;
    const std::string here = StrCat(at, "/", key);
    array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) {
      Add(here, "must be an array");
      return false;
    }
    size_t i = 0;
    bool ok = true;
    for (element item : arr) {
      std::string_view s;
      if (item.get_string().get(s) != simdjson::SUCCESS) {
        Add(StrCat(here, "/", i), "must be a string");
        ok = false;
      } else if (pattern != nullptr && !pattern->matches(s)) {
        Add(StrCat(here, "/", i), StrCat("must match ", pattern->text));
        ok = false;
      } else if (pattern == nullptr && (s.empty() || CodePoints(s) > max_len)) {
        Add(StrCat(here, "/", i), StrCat("length must be within [1, ", max_len, "]"));
        ok = false;
      } else {
        out->emplace_back(s);
      }
      ++i;
    }
    return ok;
  }

  bool IntArray(object obj, std::string_view key, const std::string& at, std::vector<int>* out,
                int64_t min, int64_t max) {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) return false;
    const std::string here = StrCat(at, "/", key);
    array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) {
      Add(here, "must be an array");
      return false;
    }
    size_t i = 0;
    bool ok = true;
    for (element item : arr) {
      int64_t n;
      if (!GetInteger(item, &n)) {
        Add(StrCat(here, "/", i), "must be an integer");
        ok = false;
      } else if (n < min || n > max) {
        Add(StrCat(here, "/", i), StrCat("must be within [", min, ", ", max, "]"));
        ok = false;
      } else {
        out->push_back(static_cast<int>(n));
      }
      ++i;
    }
    return ok;
  }

 private:
  std::vector<Problem> problems_;
};

bool ParseTime(std::string_view text, absl::Time* out) {
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, absl::string_view(text.data(), text.size()), out,
                         &err);
}

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

bool IsAlpha3(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isalpha(static_cast<unsigned char>(c));
         });
}

// ^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$
bool IsSize(std::string_view s) {
  const size_t x = s.find('x');
  if (x == std::string_view::npos) return false;
  auto number = [](std::string_view n) {
    return !n.empty() && n.size() <= 5 && n[0] != '0' && std::all_of(n.begin(), n.end(), IsDigit);
  };
  return number(s.substr(0, x)) && number(s.substr(x + 1));
}

// ^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$
bool IsVersion(std::string_view s) {
  int components = 0;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 6 || !std::all_of(part.begin(), part.end(), IsDigit)) {
      return false;
    }
    if (++components > 4) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsValidIdPattern(std::string_view s) { return IsValidId(s); }

constexpr Pattern kAlpha3{IsAlpha3, "^[A-Za-z]{3}$"};
constexpr Pattern kSizePattern{IsSize, "^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$"};
constexpr Pattern kIdPattern{IsValidIdPattern, "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"};

enum class Case { kKeep, kUpper, kLower };

void ParseStringDimension(Checker& check, object targeting, std::string_view key,
                          const std::string& at, engine::Dimension<std::string>* dim,
                          Case letter_case, const Pattern* pattern = nullptr) {
  element e;
  if (targeting[key].get(e) != simdjson::SUCCESS) return;
  const std::string here = StrCat(at, "/", key);
  object obj;
  if (!check.GetObject(e, here, &obj)) return;
  check.NoUnknownFields(obj, here, {"include", "exclude"});
  check.StringArray(obj, "include", here, &dim->include, 256, pattern);
  check.StringArray(obj, "exclude", here, &dim->exclude, 256, pattern);
  for (auto* list : {&dim->include, &dim->exclude}) {
    for (std::string& s : *list) {
      if (letter_case == Case::kUpper) absl::AsciiStrToUpper(&s);
      if (letter_case == Case::kLower) absl::AsciiStrToLower(&s);
    }
    SortUnique(list);
  }
}

void ParseIntDimension(Checker& check, object targeting, std::string_view key,
                       const std::string& at, engine::Dimension<int>* dim, int min, int max) {
  element e;
  if (targeting[key].get(e) != simdjson::SUCCESS) return;
  const std::string here = StrCat(at, "/", key);
  object obj;
  if (!check.GetObject(e, here, &obj)) return;
  check.NoUnknownFields(obj, here, {"include", "exclude"});
  check.IntArray(obj, "include", here, &dim->include, min, max);
  check.IntArray(obj, "exclude", here, &dim->exclude, min, max);
  SortUnique(&dim->include);
  SortUnique(&dim->exclude);
}

bool ParsePlacementName(std::string_view name, engine::Placement* out) {
  for (auto p :
       {engine::Placement::kBanner, engine::Placement::kInterstitial, engine::Placement::kRewarded,
        engine::Placement::kNative, engine::Placement::kVideo}) {
    if (engine::PlacementName(p) == name) {
      *out = p;
      return true;
    }
  }
  return false;
}

void ParsePlacements(Checker& check, object targeting, const std::string& at,
                     engine::Dimension<engine::Placement>* dim) {
  engine::Dimension<std::string> names;
  element e;
  if (targeting["placement"].get(e) != simdjson::SUCCESS) return;
  const std::string here = at + "/placement";
  object obj;
  if (!check.GetObject(e, here, &obj)) return;
  check.NoUnknownFields(obj, here, {"include", "exclude"});
  for (auto [list_name, names_out, placements] :
       {std::tuple{"include", &names.include, &dim->include},
        std::tuple{"exclude", &names.exclude, &dim->exclude}}) {
    check.StringArray(obj, list_name, here, names_out);
    for (size_t i = 0; i < names_out->size(); ++i) {
      engine::Placement p;
      if (ParsePlacementName((*names_out)[i], &p)) {
        placements->push_back(p);
      } else {
        check.Add(StrCat(here, "/", list_name, "/", i),
                  "must be one of banner, interstitial, rewarded, native, video");
      }
    }
    SortUnique(placements);
  }
}

void ParseTargeting(Checker& check, element e, const std::string& advertiser,
                    engine::Targeting* t) {
  const std::string at = "/targeting";
  object obj;
  if (!check.GetObject(e, at, &obj)) return;
  check.NoUnknownFields(obj, at,
                        {"country", "region", "os", "os_version", "device_type", "connection_type",
                         "app_bundle", "app_category", "publisher", "placement", "size", "language",
                         "hour_of_week", "audiences", "deals"});
  ParseStringDimension(check, obj, "country", at, &t->country, Case::kUpper, &kAlpha3);
  ParseStringDimension(check, obj, "region", at, &t->region, Case::kUpper);
  ParseStringDimension(check, obj, "os", at, &t->os, Case::kLower);
  ParseIntDimension(check, obj, "device_type", at, &t->device_type, 1, 7);
  ParseIntDimension(check, obj, "connection_type", at, &t->connection_type, 0, 7);
  ParseStringDimension(check, obj, "app_bundle", at, &t->app_bundle, Case::kKeep);
  ParseStringDimension(check, obj, "app_category", at, &t->app_category, Case::kKeep);
  ParseStringDimension(check, obj, "publisher", at, &t->publisher, Case::kKeep);
  ParseStringDimension(check, obj, "language", at, &t->language, Case::kLower);
  ParseIntDimension(check, obj, "hour_of_week", at, &t->hour_of_week, 0, 167);
  ParsePlacements(check, obj, at, &t->placement);
  ParseStringDimension(check, obj, "size", at, &t->size, Case::kKeep, &kSizePattern);
  ParseStringDimension(check, obj, "deals", at, &t->deal, Case::kKeep);

  element v;
  if (obj["os_version"].get(v) == simdjson::SUCCESS) {
    const std::string here = at + "/os_version";
    object range;
    if (check.GetObject(v, here, &range)) {
      check.NoUnknownFields(range, here, {"min", "max"});
      for (auto [name, out] :
           {std::pair{"min", &t->os_version.min}, std::pair{"max", &t->os_version.max}}) {
        std::string text;
        if (!check.String(range, name, here, false, &text)) continue;
        if (!IsVersion(text)) {
          check.Add(StrCat(here, "/", name), "must match ^[0-9]{1,6}(\\.[0-9]{1,6}){0,3}$");
        } else {
          *out = engine::ParseVersion(text);
        }
      }
    }
  }
  if (obj["audiences"].get(v) == simdjson::SUCCESS) {
    const std::string here = at + "/audiences";
    object rule;
    if (check.GetObject(v, here, &rule)) {
      check.NoUnknownFields(rule, here, {"any_of", "all_of", "exclude"});
      engine::AudienceRule& a = t->audiences;
      for (auto [name, out] : {std::pair{"any_of", &a.any_of}, std::pair{"all_of", &a.all_of},
                               std::pair{"exclude", &a.exclude}}) {
        check.StringArray(rule, name, here, out, 64, &kIdPattern);
        // Audiences are the advertiser's own: qualify them so no other advertiser's match.
        for (std::string& id : *out) id = StrCat(advertiser, "/", id);
        SortUnique(out);
      }
    }
  }
}

void ParseImage(Checker& check, object creative, std::string_view key, const std::string& at,
                bool required, std::string* url, engine::Size* size) {
  element e;
  if (creative[key].get(e) != simdjson::SUCCESS) {
    if (required) check.Add(StrCat(at, "/", key), "required");
    return;
  }
  const std::string here = StrCat(at, "/", key);
  object obj;
  if (!check.GetObject(e, here, &obj)) return;
  check.NoUnknownFields(obj, here, {"url", "w", "h"});
  check.Url(obj, "url", here, true, url);
  check.Int(obj, "w", here, false, &size->w, 1, 10000);
  check.Int(obj, "h", here, false, &size->h, 1, 10000);
}

// The video creative's VAST: well-formed, a known version, every ad complete, and a Linear
// <Duration> equal to the declared `duration` (which is what `minduration`/`maxduration` match).
// `field` names the VAST's member: `vast`, or a challenge's `sample_video`, which declares no
// duration.
void CheckVast(Checker& check, const std::string& at, std::string_view field, bool has_duration,
               engine::Creative* c) {
  std::vector<std::string> problems;
  vast::VastSummary summary = vast::ReadVast(c->markup, &problems);
  for (std::string& problem : problems) check.Add(StrCat(at, "/", field), std::move(problem));
  if (!problems.empty()) return;
  if (has_duration) {
    // Whole seconds, rounded up: the declared duration is what `maxduration` is checked
    // against, so it may never understate the ad (a 15.015 s VAST is declared 16).
    for (int64_t ms : summary.linear_durations_ms) {
      const int64_t seconds = (ms + 999) / 1000;
      if (seconds != c->duration_s) {
        check.Add(at + "/duration", StrCat("must equal the VAST <Duration> (", ms,
                                           " ms) in whole seconds, rounded up: ", seconds));
        break;
      }
    }
  }
  c->vast_protocol = summary.protocol;
  c->media_sizes = std::move(summary.media_sizes);
  c->vast_impression_offsets = std::move(summary.impression_offsets);
  c->loads_http = summary.loads_http;
}

void ParseCreative(Checker& check, element e, const std::string& at, engine::Creative* c) {
  object obj;
  if (!check.GetObject(e, at, &obj)) return;
  std::string id;
  if (check.String(obj, "id", at, true, &id, 1, kMaxIdLength) && !IsValidId(id)) {
    check.Add(at + "/id", "must match ^[A-Za-z0-9][A-Za-z0-9._-]*$");
  }
  c->id = id;
  std::string kind;
  if (!check.String(obj, "kind", at, true, &kind)) return;
  check.Url(obj, "landing", at, kind != "banner" && kind != "video", &c->landing_url);
  check.IntArray(obj, "attr", at, &c->attributes, 1, 100);
  if (kind == "banner") {
    c->kind = engine::CreativeKind::kBanner;
    check.NoUnknownFields(obj, at, {"id", "kind", "landing", "attr", "w", "h", "markup"});
    check.Int(obj, "w", at, true, &c->size.w, 1, 10000);
    check.Int(obj, "h", at, true, &c->size.h, 1, 10000);
    check.String(obj, "markup", at, true, &c->markup, 1, 64 * 1024);
  } else if (kind == "video") {
    c->kind = engine::CreativeKind::kVideo;
    check.NoUnknownFields(
        obj, at,
        {"id", "kind", "landing", "attr", "duration", "vast", "mime", "rewarded", "w", "h"});
    const bool has_duration = check.Int(obj, "duration", at, true, &c->duration_s, 1, 3600);
    if (check.String(obj, "vast", at, true, &c->markup, 1, 64 * 1024)) {
      CheckVast(check, at, "vast", has_duration, c);
    }
    check.String(obj, "mime", at, false, &c->mime);
    check.Bool(obj, "rewarded", at, &c->rewarded_ok);
    check.Int(obj, "w", at, false, &c->size.w, 1, 10000);
    check.Int(obj, "h", at, false, &c->size.h, 1, 10000);
  } else if (kind == "native") {
    c->kind = engine::CreativeKind::kNative;
    check.NoUnknownFields(
        obj, at,
        {"id", "kind", "landing", "attr", "title", "body", "cta", "sponsor", "image", "icon"});
    check.String(obj, "title", at, true, &c->title, 1, 256);
    check.String(obj, "body", at, false, &c->body, 1, 1024);
    check.String(obj, "cta", at, false, &c->cta, 1, 64);
    check.String(obj, "sponsor", at, false, &c->sponsor, 1, 128);
    ParseImage(check, obj, "image", at, true, &c->image_url, &c->image_size);
    ParseImage(check, obj, "icon", at, false, &c->icon_url, &c->icon_size);
  } else if (kind == "product") {
    c->kind = engine::CreativeKind::kProduct;
    check.NoUnknownFields(obj, at,
                          {"id", "kind", "landing", "attr", "title", "price", "currency", "image",
                           "deep_link", "store_url", "sponsor", "cta"});
    check.String(obj, "title", at, true, &c->title, 1, 256);
    engine::Micros price = 0;
    std::string currency;
    const bool has_price = check.Money(obj, "price", at, true, &price, /*positive=*/false);
    bool has_currency = check.String(obj, "currency", at, true, &currency, 0, 4096);
    if (has_currency &&
        (currency.size() != 3 || !std::all_of(currency.begin(), currency.end(),
                                              [](char ch) { return ch >= 'A' && ch <= 'Z'; }))) {
      check.Add(at + "/currency", "must match ^[A-Z]{3}$");
      has_currency = false;
    }
    if (has_price && has_currency) {
      std::string text;
      StrAppend(&text, price / engine::kMicrosPerUnit, ".");
      const int64_t cents = (price % engine::kMicrosPerUnit) / 10'000;
      StrAppend(&text, cents < 10 ? "0" : "", cents, " ", currency);
      c->price_text = text;
    }
    ParseImage(check, obj, "image", at, true, &c->image_url, &c->image_size);
    check.AppLink(obj, "deep_link", at, &c->deep_link);
    check.Url(obj, "store_url", at, true, &c->store_url);
    check.String(obj, "sponsor", at, false, &c->sponsor, 1, 128);
    check.String(obj, "cta", at, false, &c->cta, 1, 64);
    if (c->cta.empty()) c->cta = "Shop now";
    c->body = c->price_text;
  } else if (kind == "challenge") {
    c->kind = engine::CreativeKind::kChallenge;
    check.NoUnknownFields(
        obj, at,
        {"id", "kind", "landing", "attr", "hashtag", "title", "sample_video", "image", "sponsor"});
    std::string hashtag;
    if (check.String(obj, "hashtag", at, true, &hashtag, 0, 4096) &&
        (hashtag.size() < 2 || hashtag.size() > 100 || hashtag[0] != '#' ||
         !std::all_of(hashtag.begin() + 1, hashtag.end(), [](char ch) {
           return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '_';
         }))) {
      check.Add(at + "/hashtag", "must match ^#[A-Za-z0-9_]{1,99}$");
    }
    check.String(obj, "title", at, true, &c->title, 1, 256);
    if (check.String(obj, "sample_video", at, true, &c->markup, 1, 64 * 1024)) {
      CheckVast(check, at, "sample_video", /*has_duration=*/false, c);
    }
    ParseImage(check, obj, "image", at, false, &c->image_url, &c->image_size);
    check.String(obj, "sponsor", at, false, &c->sponsor, 1, 128);
    c->body = hashtag;
    c->cta = "Join " + hashtag;
  } else {
    check.Add(at + "/kind", "must be one of banner, video, native, product, challenge");
  }
  // Banner HTML is not parsed: any http:// in it counts. VAST was read above.
  if (c->kind == engine::CreativeKind::kBanner) {
    c->loads_http = absl::StrContains(absl::AsciiStrToLower(c->markup), "http://");
  }
  // Image and icon URLs passed Url() above, so their scheme is lower case.
  c->loads_http = c->loads_http || absl::StartsWith(c->image_url, "http://") ||
                  absl::StartsWith(c->icon_url, "http://");
}

// A document simdjson refused: where it first goes wrong, when the re-scan finds it (simdjson
// also refuses what is well-formed but beyond its limits, such as a too large number).
Problem SyntaxProblem(std::string_view json, simdjson::error_code error) {
  if (std::optional<JsonSyntaxError> syntax = FindJsonSyntaxError(json)) {
    return {"", StrCat("invalid JSON at ", syntax->ToString())};
  }
  return {"", StrCat("invalid JSON (", simdjson::error_message(error), ")")};
}

// `dsa`: the campaign's DSA transparency information, in the fields of the DSA Transparency
// extension's `bid.ext.dsa`.
void ParseDsaInfo(Checker& check, element e, std::optional<engine::DsaInfo>* out) {
  const std::string at = "/dsa";
  object obj;
  if (!check.GetObject(e, at, &obj)) return;
  check.NoUnknownFields(obj, at, {"behalf", "paid", "adrender", "transparency"});
  engine::DsaInfo info;
  bool ok = true;
  for (auto [key, field] : {std::pair{"behalf", &info.behalf}, std::pair{"paid", &info.paid}}) {
    if (!check.String(obj, key, at, true, field, 1, engine::kDsaMaxNameBytes)) {
      ok = false;
    } else if (field->size() > engine::kDsaMaxNameBytes) {
      // Prebid Server counts the extension's 100 characters in bytes and drops a longer bid.
      check.Add(StrCat(at, "/", key),
                StrCat("must be at most ", engine::kDsaMaxNameBytes, " bytes of UTF-8"));
      ok = false;
    }
  }
  ok = check.Int(obj, "adrender", at, true, &info.adrender, 0, 1) && ok;
  element list;
  if (obj["transparency"].get(list) == simdjson::SUCCESS) {
    array entries;
    if (list.get_array().get(entries) != simdjson::SUCCESS) {
      check.Add(at + "/transparency", "must be an array");
      ok = false;
    } else {
      size_t i = 0;
      for (element entry : entries) {
        const std::string here = StrCat(at, "/transparency/", i++);
        object entry_obj;
        if (!check.GetObject(entry, here, &entry_obj)) {
          ok = false;
          continue;
        }
        check.NoUnknownFields(entry_obj, here, {"domain", "dsaparams"});
        engine::DsaTransparency& t = info.transparency.emplace_back();
        ok = check.String(entry_obj, "domain", here, true, &t.domain, 1, 256) && ok;
        // User parameters 1 profiling, 2 basic advertising, 3 precise geolocation.
        element params;
        if (entry_obj["dsaparams"].get(params) != simdjson::SUCCESS) {
          check.Add(here + "/dsaparams", "required");
          ok = false;
        } else if (!check.IntArray(entry_obj, "dsaparams", here, &t.params, 1, 3)) {
          ok = false;
        } else if (t.params.empty()) {
          check.Add(here + "/dsaparams", "must have at least 1 item");
          ok = false;
        }
      }
    }
  }
  if (ok) *out = std::move(info);
}

// `political_transparency`: what Regulation (EU) 2024/900 Art. 11 asks a political ad to show.
void ParsePoliticalTransparency(Checker& check, element e,
                                std::optional<engine::PoliticalTransparency>* out) {
  const std::string at = "/political_transparency";
  object obj;
  if (!check.GetObject(e, at, &obj)) return;
  check.NoUnknownFields(obj, at, {"sponsor", "notice_url", "election"});
  engine::PoliticalTransparency info;
  bool ok = check.String(obj, "sponsor", at, true, &info.sponsor, 1, 200);
  ok = check.HttpsUrl(obj, "notice_url", at, true, &info.notice_url) && ok;
  element election;
  if (obj["election"].get(election) == simdjson::SUCCESS) {
    ok = check.String(obj, "election", at, false, &info.election, 1, 200) && ok;
  }
  if (ok) *out = std::move(info);
}

}  // namespace

absl::StatusOr<engine::Campaign> ParseCampaign(std::string_view json,
                                               std::vector<Problem>* problems) {
  simdjson::dom::parser parser;
  element root;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    Problem problem = SyntaxProblem(json, e);
    if (problems) problems->push_back(problem);
    return absl::InvalidArgumentError(StrCat(": ", problem.message));
  }
  Checker check;
  engine::Campaign c;
  object obj;
  if (check.GetObject(root, "", &obj)) {
    check.NoUnknownFields(obj, "",
                          {"id",
                           "advertiser",
                           "status",
                           "start",
                           "end",
                           "budget",
                           "bid",
                           "pacing",
                           "frequency_caps",
                           "adomain",
                           "cat",
                           "app_bundle",
                           "child_directed",
                           "creatives",
                           "targeting",
                           "privacy_url",
                           "dsa",
                           "political",
                           "political_transparency",
                           "require_authorised_supply",
                           "itunesitem",
                           "skadn_campaign",
                           "skadn_source_identifier"});
    if (check.String(obj, "id", "", true, &c.id, 1, kMaxIdLength) && !IsValidId(c.id)) {
      check.Add("/id", "must match ^[A-Za-z0-9][A-Za-z0-9._-]*$");
    }
    if (check.String(obj, "advertiser", "", true, &c.advertiser, 1, kMaxIdLength) &&
        !IsValidId(c.advertiser)) {
      check.Add("/advertiser", "must match ^[A-Za-z0-9][A-Za-z0-9._-]*$");
    }
    std::string status;
    if (check.String(obj, "status", "", true, &status)) {
      if (status == "active")
        c.status = engine::CampaignStatus::kActive;
      else if (status == "paused")
        c.status = engine::CampaignStatus::kPaused;
      else if (status == "archived")
        c.status = engine::CampaignStatus::kArchived;
      else
        check.Add("/status", "must be one of active, paused, archived");
    }
    std::string time_text;
    for (auto [name, out] : {std::pair{"start", &c.start}, std::pair{"end", &c.end}}) {
      if (check.String(obj, name, "", false, &time_text) &&
          (!MatchesDateTime(time_text) || !ParseTime(time_text, out))) {
        check.Add(StrCat("/", name), "must be an RFC 3339 date-time");
      }
    }
    if (c.start != absl::InfinitePast() && c.end != absl::InfiniteFuture() && c.end <= c.start) {
      check.Add("/end", "must be after /start");
    }
    element e;
    if (obj["budget"].get(e) == simdjson::SUCCESS) {
      object budget;
      if (check.GetObject(e, "/budget", &budget)) {
        check.NoUnknownFields(budget, "/budget", {"daily", "lifetime"});
        check.Money(budget, "daily", "/budget", false, &c.daily_budget, /*positive=*/true);
        check.Money(budget, "lifetime", "/budget", false, &c.lifetime_budget, /*positive=*/true);
      }
    }
    if (obj["bid"].get(e) != simdjson::SUCCESS) {
      check.Add("/bid", "required");
    } else {
      object bid;
      if (check.GetObject(e, "/bid", &bid)) {
        check.NoUnknownFields(bid, "/bid", {"strategy", "max_bid", "currency"});
        std::string strategy;
        if (check.String(bid, "strategy", "/bid", true, &strategy)) {
          if (strategy == "cpc") {
            c.strategy = engine::BidStrategy::kCpc;
          } else if (strategy != "cpm") {
            check.Add("/bid/strategy", "must be one of cpm, cpc");
          }
        }
        check.Money(bid, "max_bid", "/bid", true,
                    c.strategy == engine::BidStrategy::kCpc ? &c.max_bid_cpc : &c.max_bid_cpm,
                    /*positive=*/true);
        if (check.String(bid, "currency", "/bid", false, &c.currency, 3, 3) &&
            c.currency != "USD") {
          check.Add("/bid/currency", "must be USD");
        }
      }
    }
    std::string pacing;
    if (check.String(obj, "pacing", "", false, &pacing)) {
      if (pacing == "asap") {
        c.pacing = engine::Pacing::kAsap;
      } else if (pacing != "even") {
        check.Add("/pacing", "must be one of even, asap");
      }
    }
    if (obj["frequency_caps"].get(e) == simdjson::SUCCESS) {
      array caps;
      if (e.get_array().get(caps) != simdjson::SUCCESS) {
        check.Add("/frequency_caps", "must be an array");
      } else {
        size_t i = 0;
        for (element cap : caps) {
          const std::string at = StrCat("/frequency_caps/", i++);
          object cap_obj;
          if (!check.GetObject(cap, at, &cap_obj)) continue;
          check.NoUnknownFields(cap_obj, at, {"max", "per"});
          engine::FrequencyCap parsed;
          const bool max_ok = check.Int(cap_obj, "max", at, true, &parsed.max, 1, 1'000'000);
          std::string per;
          if (check.String(cap_obj, "per", at, true, &per)) {
            if (per == "hour") {
              parsed.per = engine::CapPeriod::kHour;
            } else if (per == "day") {
              parsed.per = engine::CapPeriod::kDay;
            } else if (per == "week") {
              parsed.per = engine::CapPeriod::kWeek;
            } else {
              check.Add(at + "/per", "must be one of hour, day, week");
            }
          }
          if (max_ok) c.frequency_caps.push_back(parsed);
        }
      }
    }
    check.StringArray(obj, "adomain", "", &c.adomain);
    check.StringArray(obj, "cat", "", &c.categories);
    check.String(obj, "app_bundle", "", false, &c.app_bundle);
    check.Bool(obj, "child_directed", "", &c.child_directed);
    check.Bool(obj, "require_authorised_supply", "", &c.require_authorised_supply);
    check.HttpsUrl(obj, "privacy_url", "", false, &c.privacy_url);
    if (obj["dsa"].get(e) == simdjson::SUCCESS) ParseDsaInfo(check, e, &c.dsa);
    check.Bool(obj, "political", "", &c.political);
    if (obj["political_transparency"].get(e) == simdjson::SUCCESS) {
      if (!c.political) {
        check.Add("/political_transparency", "only for a political campaign (\"political\": true)");
      } else {
        ParsePoliticalTransparency(check, e, &c.political_transparency);
      }
    }
    // SKAdNetwork: Apple's App Store ids are decimal numbers; its campaign ids run 1..100 and
    // its source identifiers have at most four digits.
    if (check.String(obj, "itunesitem", "", false, &c.itunes_item, 1, 20) &&
        !std::all_of(c.itunes_item.begin(), c.itunes_item.end(),
                     [](char ch) { return absl::ascii_isdigit(static_cast<unsigned char>(ch)); })) {
      check.Add("/itunesitem", "must be the App Store id: decimal digits");
    }
    check.Int(obj, "skadn_campaign", "", false, &c.skadn_campaign, 1, 100);
    check.Int(obj, "skadn_source_identifier", "", false, &c.skadn_source_identifier, 0, 9999);
    if (c.itunes_item.empty() && (c.skadn_campaign > 0 || c.skadn_source_identifier >= 0)) {
      check.Add("/itunesitem", "required with skadn_campaign or skadn_source_identifier");
    }
    if (obj["creatives"].get(e) != simdjson::SUCCESS) {
      check.Add("/creatives", "required");
    } else {
      array creatives;
      if (e.get_array().get(creatives) != simdjson::SUCCESS) {
        check.Add("/creatives", "must be an array");
      } else {
        size_t i = 0;
        for (element creative : creatives) {
          ParseCreative(check, creative, StrCat("/creatives/", i++), &c.creatives.emplace_back());
        }
        if (i == 0) check.Add("/creatives", "must have at least 1 item");
        std::vector<std::string> ids;
        for (const engine::Creative& creative : c.creatives) ids.push_back(creative.id);
        SortUnique(&ids);
        if (ids.size() != c.creatives.size())
          check.Add("/creatives", "creative ids must be unique");
      }
    }
    if (obj["targeting"].get(e) == simdjson::SUCCESS) {
      ParseTargeting(check, e, c.advertiser, &c.targeting);
    }
  }
  if (check.problems().empty()) return c;
  std::vector<std::string> lines;
  for (const Problem& p : check.problems()) lines.push_back(StrCat(p.pointer, ": ", p.message));
  if (problems) *problems = check.problems();
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

absl::StatusOr<CampaignDocument> ParseCampaignDocument(std::string_view json,
                                                       std::vector<Problem>* problems) {
  std::vector<Problem> found;
  CampaignDocument document;
  simdjson::dom::parser parser;
  element root;
  array items;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    found.push_back(SyntaxProblem(json, e));
  } else if (root.get_array().get(items) != simdjson::SUCCESS) {
    std::vector<Problem> item_problems;
    absl::StatusOr<engine::Campaign> campaign = ParseCampaign(json, &item_problems);
    if (campaign.ok()) {
      document.campaigns.push_back({*std::move(campaign), std::string(json)});
    }
    found = std::move(item_problems);
  } else {
    document.batch = true;
    size_t index = 0;
    for (element item : items) {
      std::string item_json(simdjson::minify(item));
      std::vector<Problem> item_problems;
      absl::StatusOr<engine::Campaign> campaign = ParseCampaign(item_json, &item_problems);
      if (campaign.ok()) {
        document.campaigns.push_back({*std::move(campaign), std::move(item_json)});
      }
      for (Problem& p : item_problems) {
        found.push_back({StrCat("/", index, p.pointer), std::move(p.message)});
      }
      ++index;
    }
    std::vector<std::string> ids;
    for (const ParsedCampaign& c : document.campaigns) ids.push_back(c.campaign.id);
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
      found.push_back({"", "campaign ids must be unique within a batch"});
    }
  }
  if (found.empty()) return document;
  std::vector<std::string> lines;
  for (const Problem& p : found) lines.push_back(StrCat(p.pointer, ": ", p.message));
  if (problems) *problems = std::move(found);
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

absl::StatusOr<std::vector<CampaignFile>> LoadCampaignFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      paths.push_back(entry.path());
  }
  if (ec) return absl::NotFoundError(StrCat(dir, ": ", ec.message()));
  std::sort(paths.begin(), paths.end());
  std::vector<CampaignFile> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::NotFoundError(StrCat(path.string(), ": cannot read"));
    absl::StatusOr<engine::Campaign> campaign = ParseCampaign(text.str());
    if (!campaign.ok()) {
      return absl::InvalidArgumentError(
          StrCat(path.string(), ":\n", View(campaign.status().message())));
    }
    files.push_back(CampaignFile{path.string(), text.str(), *std::move(campaign)});
  }
  return files;
}

absl::StatusOr<std::vector<engine::Campaign>> LoadCampaignDirectory(const std::string& dir) {
  absl::StatusOr<std::vector<CampaignFile>> files = LoadCampaignFiles(dir);
  if (!files.ok()) return files.status();
  std::vector<engine::Campaign> campaigns;
  for (CampaignFile& f : *files) campaigns.push_back(std::move(f.campaign));
  return campaigns;
}

}  // namespace vetrina::campaigns
