#include "base/json_syntax.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina {
namespace {

TEST_CASE("well-formed JSON has no syntax error (RFC 8259)") {
  for (const char* text :
       {"{}", "[]", " {\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\u00e9\\n\"]} ", "\"s\"", "0",
        "-0.0E-1", "{\"a\":{\"b\":[[],{}]}}", "\"caf\xc3\xa9\"", "[\"\xf0\x9f\x98\x80\"]"}) {
    INFO(text);
    CHECK_FALSE(FindJsonSyntaxError(text).has_value());
  }
}

TEST_CASE("the first syntax error, with its line and column") {
  struct Row {
    const char* rule;
    std::string text;
    size_t line, column;
    const char* message;  // a part of the message
  } rows[] = {
      {"RFC 8259 §4: no trailing comma in an object", "{\"a\": 1,}", 1, 9, "member's name"},
      {"RFC 8259 §5: no trailing comma in an array", "[1,\n 2,\n]", 3, 1, "expected a value"},
      {"RFC 8259 §4: members are separated by commas", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3,
       "expected ',' or '}'"},
      {"RFC 8259 §4: a name is followed by a colon", "{\"a\" 1}", 1, 6, "':'"},
      {"RFC 8259 §4: names are strings", "{a: 1}", 1, 2, "member's name"},
      {"RFC 8259 §7: strings end", "{\"a\": \"b}", 1, 10, "unterminated"},
      {"RFC 8259 §7: control characters are escaped", "[\"a\tb\"]", 1, 4, "control character"},
      {"RFC 8259 §7: known escapes only", "[\"\\x\"]", 1, 4, "escape"},
      {"RFC 8259 §7: \\u takes 4 hex digits", "[\"\\u12g4\"]", 1, 7, "hex"},
      {"RFC 8259 §6: no leading zero", "[01]", 1, 3, "start with 0"},
      {"RFC 8259 §6: a fraction has digits", "[1.]", 1, 4, "after '.'"},
      {"RFC 8259 §6: an exponent has digits", "[1e]", 1, 4, "exponent"},
      {"RFC 8259 §3: literals are lower case", "[True]", 1, 2, "expected a value"},
      {"RFC 8259 §2: one value per text", "{} {}", 1, 4, "end of the text"},
      {"RFC 8259 §2: a text is not empty", "  ", 1, 3, "unexpected end"},
      {"RFC 8259 §4: objects close", "{\"a\": [1, 2]", 1, 13, "expected ',' or '}'"},
      {"RFC 8259 §8.1: UTF-8", "[\"\xc3\"]", 1, 3, "UTF-8"},
      {"RFC 3629 §3: no surrogates in UTF-8", "[\"\xed\xa0\x80\"]", 1, 3, "UTF-8"},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.text);
    std::optional<JsonSyntaxError> error = FindJsonSyntaxError(row.text);
    REQUIRE(error.has_value());
    CHECK(error->line == row.line);
    CHECK(error->column == row.column);
    CHECK(error->message.find(row.message) != std::string::npos);
  }
}

TEST_CASE("nesting deeper than the limit is an error at the opening bracket") {
  std::optional<JsonSyntaxError> error = FindJsonSyntaxError("[[[[1]]]]", 3);
  REQUIRE(error.has_value());
  CHECK(error->column == 4);
  CHECK(error->message.find("deeper than 3") != std::string::npos);
  CHECK_FALSE(FindJsonSyntaxError("[[[1]]]", 3).has_value());
}

TEST_CASE("a syntax error prints as line, column and message") {
  JsonSyntaxError error{.offset = 10, .line = 2, .column = 3, .message = "unterminated string"};
  CHECK(error.ToString() == "line 2, column 3: unterminated string");
}

}  // namespace
}  // namespace vetrina
