#include "adapters/vast/xml_scanner.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "base/strings.h"

namespace vetrina::vast {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// XML 1.0 §2.2 Char.
bool IsXmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The offset of the first byte that is not well-formed UTF-8 or not an XML Char, or npos.
size_t FirstBadCharacter(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      cp = b & 0x1F;
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      cp = b & 0x0F;
      len = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      cp = b & 0x07;
      len = 4;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || !IsXmlChar(cp)) return i;
    i += len;
  }
  return std::string_view::npos;
}

class Scanner {
 public:
  Scanner(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  absl::StatusOr<XmlDocument> Run() {
    if (s_.size() > std::numeric_limits<uint32_t>::max()) return Error("document too large");
    if (size_t bad = FirstBadCharacter(s_); bad != std::string_view::npos) {
      i_ = bad;
      return Error("invalid UTF-8 or a character XML does not allow");
    }
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;  // byte order mark
    const size_t prolog_start = i_;
    bool root_seen = false;
    while (i_ < s_.size()) {
      if (s_[i_] != '<') {
        if (open_.empty()) {
          if (!IsSpace(s_[i_])) return Error("text outside the root element");
          ++i_;
          continue;
        }
        if (!Text()) return Error(error_);
        continue;
      }
      if (At("<!--")) {
        if (!Comment()) return Error(error_);
      } else if (At("<?")) {
        if (!ProcessingInstruction(i_ == prolog_start && !root_seen)) return Error(error_);
      } else if (At("<![CDATA[")) {
        if (open_.empty()) return Error("CDATA section outside the root element");
        if (!Cdata()) return Error(error_);
      } else if (At("<!")) {
        return Error("DTDs and declarations are not accepted");
      } else if (At("</")) {
        if (!EndTag()) return Error(error_);
      } else {
        if (open_.empty() && root_seen) return Error("a second root element");
        root_seen = true;
        if (!StartTag()) return Error(error_);
      }
    }
    if (!open_.empty()) {
      return Error(StrCat("unexpected end: <", doc_.elements[open_.back()].name, "> not closed"));
    }
    if (!root_seen) return Error("no root element");
    return std::move(doc_);
  }

 private:
  absl::Status Error(std::string_view message) const {
    return absl::InvalidArgumentError(StrCat(message, " at byte ", i_));
  }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  bool At(std::string_view literal) const { return s_.substr(i_, literal.size()) == literal; }
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }

  bool Name(std::string* out) {
    if (i_ >= s_.size() || !IsNameStart(s_[i_])) return Fail("a name expected");
    const size_t start = i_;
    while (i_ < s_.size() && IsNameChar(s_[i_])) ++i_;
    out->assign(s_.substr(start, i_ - start));
    return true;
  }

  // At '&': one of the five predefined entities or a character reference, appended decoded.
  bool Reference(std::string* out) {
    const size_t semicolon = s_.find(';', i_);
    if (semicolon == std::string_view::npos || semicolon - i_ > 12) {
      return Fail("'&' that starts no reference (write &amp;)");
    }
    const std::string_view ref = s_.substr(i_ + 1, semicolon - i_ - 1);
    if (ref == "lt") {
      out->push_back('<');
    } else if (ref == "gt") {
      out->push_back('>');
    } else if (ref == "amp") {
      out->push_back('&');
    } else if (ref == "quot") {
      out->push_back('"');
    } else if (ref == "apos") {
      out->push_back('\'');
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return Fail("empty character reference");
      uint32_t cp = 0;
      for (char c : digits) {
        int digit;
        if (c >= '0' && c <= '9') {
          digit = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          digit = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          digit = c - 'A' + 10;
        } else {
          return Fail("bad character reference");
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(digit);
        if (cp > 0x10FFFF) return Fail("character reference out of range");
      }
      if (!IsXmlChar(cp)) return Fail("character reference to a character XML does not allow");
      AppendUtf8(cp, out);
    } else {
      return Fail("unknown entity (only &lt; &gt; &amp; &quot; &apos; and &#...; are accepted)");
    }
    i_ = semicolon + 1;
    return true;
  }

  bool Text() {
    std::string& text = doc_.elements[open_.back()].text;
    while (i_ < s_.size() && s_[i_] != '<') {
      if (s_[i_] == '&') {
        if (!Reference(&text)) return false;
      } else {
        if (At("]]>")) return Fail("']]>' in character data");
        text.push_back(s_[i_++]);
      }
    }
    return true;
  }

  bool Comment() {
    const size_t dashes = s_.find("--", i_ + 4);
    if (dashes == std::string_view::npos) return Fail("comment not closed");
    if (s_.substr(dashes, 3) != "-->") return Fail("'--' inside a comment");
    i_ = dashes + 3;
    return true;
  }

  bool ProcessingInstruction(bool may_be_declaration) {
    i_ += 2;
    std::string target;
    if (!Name(&target)) return false;
    std::string lower = target;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    if (lower == "xml" && (!may_be_declaration || target != "xml")) {
      return Fail("an XML declaration that is not at the very start");
    }
    const size_t end = s_.find("?>", i_);
    if (end == std::string_view::npos) return Fail("processing instruction not closed");
    if (end != i_ && !IsSpace(s_[i_])) return Fail("bad processing instruction target");
    if (target == "xml" && s_.substr(i_, end - i_).find("version") == std::string_view::npos) {
      return Fail("an XML declaration without a version");
    }
    i_ = end + 2;
    return true;
  }

  bool Cdata() {
    const size_t start = i_ + 9;
    const size_t end = s_.find("]]>", start);
    if (end == std::string_view::npos) return Fail("CDATA section not closed");
    doc_.elements[open_.back()].text.append(s_.substr(start, end - start));
    i_ = end + 3;
    return true;
  }

  bool StartTag() {
    const size_t start = i_;
    ++i_;
    const int index = static_cast<int>(doc_.elements.size());
    XmlElement element;
    if (!Name(&element.name)) return false;
    element.start = static_cast<uint32_t>(start);
    element.parent = open_.empty() ? -1 : open_.back();
    element.depth = static_cast<int>(open_.size());
    if (element.depth >= max_depth_) return Fail(StrCat("nested deeper than ", max_depth_));
    while (true) {
      const size_t before_space = i_;
      SkipSpace();
      if (i_ >= s_.size()) return Fail(StrCat("<", element.name, "> start tag not closed"));
      if (At("/>") || At(">")) break;
      if (i_ == before_space) return Fail("whitespace expected between attributes");
      XmlAttribute attribute;
      if (!Name(&attribute.name)) return false;
      for (const XmlAttribute& seen : element.attributes) {
        if (seen.name == attribute.name) return Fail(StrCat("duplicate attribute ", seen.name));
      }
      SkipSpace();
      if (!At("=")) return Fail("'=' expected after an attribute name");
      ++i_;
      SkipSpace();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) {
        return Fail("a quoted attribute value expected");
      }
      const char quote = s_[i_++];
      while (true) {
        if (i_ >= s_.size()) return Fail("attribute value not closed");
        const char c = s_[i_];
        if (c == quote) break;
        if (c == '<') return Fail("'<' in an attribute value");
        if (c == '&') {
          if (!Reference(&attribute.value)) return false;
          continue;
        }
        // XML 1.0 §3.3.3: literal whitespace in a value reads as a space.
        attribute.value.push_back(IsSpace(c) ? ' ' : c);
        ++i_;
      }
      ++i_;
      element.attributes.push_back(std::move(attribute));
    }
    const bool empty = At("/>");
    i_ += empty ? 2 : 1;
    element.content_start = static_cast<uint32_t>(i_);
    element.content_end = element.content_start;
    if (element.parent >= 0) doc_.elements[element.parent].children.push_back(index);
    doc_.elements.push_back(std::move(element));
    if (!empty) open_.push_back(index);
    return true;
  }

  bool EndTag() {
    const size_t start = i_;
    i_ += 2;
    std::string name;
    if (!Name(&name)) return false;
    SkipSpace();
    if (!At(">")) return Fail("'>' expected to close an end tag");
    if (open_.empty()) return Fail(StrCat("</", name, "> without a start tag"));
    XmlElement& element = doc_.elements[open_.back()];
    if (element.name != name) {
      return Fail(StrCat("</", name, "> closes <", element.name, ">"));
    }
    element.content_end = static_cast<uint32_t>(start);
    open_.pop_back();
    ++i_;
    return true;
  }

  std::string_view s_;
  int max_depth_;
  size_t i_ = 0;
  XmlDocument doc_;
  std::vector<int> open_;
  std::string error_;
};

}  // namespace

const std::string* XmlElement::Attribute(std::string_view attribute_name) const {
  for (const XmlAttribute& a : attributes) {
    if (a.name == attribute_name) return &a.value;
  }
  return nullptr;
}

absl::StatusOr<XmlDocument> ScanXml(std::string_view text, int max_depth) {
  return Scanner(text, max_depth).Run();
}

}  // namespace vetrina::vast
