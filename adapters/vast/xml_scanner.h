// A small, strict, non-validating XML 1.0 scanner for advertiser-supplied markup (VAST). It keeps
// every element's byte offsets, so callers can splice markup into the original text later without
// parsing it again:
//
//   absl::StatusOr<XmlDocument> doc = ScanXml(text);
//   for (const XmlElement& e : doc->elements) ... e.name, e.start, e.text ...
//
// Accepted: elements, attributes, character data, CDATA sections, comments, processing
// instructions and an XML declaration. Rejected: DTDs (so no entity but the five predefined ones
// and numeric character references), invalid UTF-8, characters XML forbids, and nesting deeper
// than a bound. Off the bid path: run once per upload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace vetrina::vast {

struct XmlAttribute {
  std::string name;
  std::string value;  // references decoded
};

struct XmlElement {
  std::string name;
  int parent = -1;             // index into XmlDocument::elements; -1 for the root
  int depth = 0;               // the root is 0
  uint32_t start = 0;          // offset of the start tag's '<'
  uint32_t content_start = 0;  // offset just past the start tag
  uint32_t content_end = 0;    // offset of the end tag's '<' (== content_start when empty)
  std::vector<XmlAttribute> attributes;
  std::vector<int> children;  // indexes into XmlDocument::elements, in document order
  std::string text;           // the element's own character data and CDATA, decoded

  // The attribute's value, or nullptr when absent.
  const std::string* Attribute(std::string_view attribute_name) const;
};

struct XmlDocument {
  std::vector<XmlElement> elements;  // in document order; elements[0] is the root
};

inline constexpr int kMaxXmlDepth = 64;

// InvalidArgument naming the first error and its byte offset when `text` is not well-formed.
absl::StatusOr<XmlDocument> ScanXml(std::string_view text, int max_depth = kMaxXmlDepth);

}  // namespace vetrina::vast
