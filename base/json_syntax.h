// Where a JSON text (RFC 8259) first goes wrong, as a line and column, for messages that point a
// person at the typo. simdjson says only that a document is malformed; this re-scans it.
//
//   std::optional<JsonSyntaxError> e = FindJsonSyntaxError("{\"a\": 1,}");
//   e->line == 1, e->column == 9, e->message == "expected a string (an object member's name)"
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vetrina {

struct JsonSyntaxError {
  size_t offset = 0;  // bytes from the start of the text
  size_t line = 1;    // 1-based
  size_t column = 1;  // 1-based, in bytes
  std::string message;

  // "line 3, column 14: expected ',' or '}'"
  std::string ToString() const;
};

// The first syntax error in `text` (grammar, strings, escapes, UTF-8, nesting deeper than
// `max_depth`), or nullopt when the text is one well-formed JSON value.
std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text, size_t max_depth = 1024);

}  // namespace vetrina
