#include "base/json_syntax.h"

#include <vector>

#include "base/strings.h"

namespace vetrina {
namespace {

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The length of the well-formed UTF-8 sequence at `at` (RFC 3629 §4), 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t at) {
  const auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  const unsigned char b0 = byte(at);
  const auto tail = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return byte(i) >= lo && byte(i) <= hi;
  };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return tail(at + 1) ? 2 : 0;
  if (b0 == 0xE0) return tail(at + 1, 0xA0) && tail(at + 2) ? 3 : 0;
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    return tail(at + 1) && tail(at + 2) ? 3 : 0;
  }
  if (b0 == 0xED) return tail(at + 1, 0x80, 0x9F) && tail(at + 2) ? 3 : 0;
  if (b0 == 0xF0) return tail(at + 1, 0x90) && tail(at + 2) && tail(at + 3) ? 4 : 0;
  if (b0 >= 0xF1 && b0 <= 0xF3) return tail(at + 1) && tail(at + 2) && tail(at + 3) ? 4 : 0;
  if (b0 == 0xF4) return tail(at + 1, 0x80, 0x8F) && tail(at + 2) && tail(at + 3) ? 4 : 0;
  return 0;
}

class Scanner {
 public:
  Scanner(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  // Scans the whole text; false with `error_at_`/`error_` set at the first error.
  bool Scan() {
    // The containers open around the current position: '{' or '['.
    std::vector<char> open;
    SkipWhitespace();
    while (true) {
      // A value is expected here.
      if (!Value(&open)) return false;
      // After a value: close containers, or move on to the next member or element.
      while (true) {
        SkipWhitespace();
        if (open.empty()) {
          if (i_ != s_.size()) return Fail("expected the end of the text after the value");
          return true;
        }
        const char close = open.back() == '{' ? '}' : ']';
        if (i_ < s_.size() && s_[i_] == close) {
          ++i_;
          open.pop_back();
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          SkipWhitespace();
          if (open.back() == '{' && !Member()) return false;
          break;
        }
        return Fail(open.back() == '{' ? "expected ',' or '}' after an object member"
                                       : "expected ',' or ']' after an array element");
      }
    }
  }

  size_t error_at() const { return error_at_; }
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string message) {
    error_at_ = std::min(i_, s_.size());
    error_ = std::move(message);
    return false;
  }

  void SkipWhitespace() {
    while (i_ < s_.size() && IsJsonWhitespace(s_[i_])) ++i_;
  }

  // An object member's name and colon, leaving the position at its value.
  bool Member() {
    if (i_ >= s_.size() || s_[i_] != '"')
      return Fail("expected a string (an object member's name)");
    if (!String()) return false;
    SkipWhitespace();
    if (i_ >= s_.size() || s_[i_] != ':') return Fail("expected ':' after an object member's name");
    ++i_;
    SkipWhitespace();
    return true;
  }

  // One value; an opened container is pushed onto `open` and its first member or element (or
  // its immediate close) is handled here.
  bool Value(std::vector<char>* open) {
    while (true) {
      if (i_ >= s_.size()) return Fail("unexpected end of the text: expected a value");
      const char c = s_[i_];
      if (c == '{' || c == '[') {
        if (open->size() >= max_depth_) return Fail(StrCat("nested deeper than ", max_depth_));
        ++i_;
        SkipWhitespace();
        const char close = c == '{' ? '}' : ']';
        if (i_ < s_.size() && s_[i_] == close) {
          ++i_;
          return true;
        }
        open->push_back(c);
        if (c == '{' && !Member()) return false;
        continue;  // the first member's value, or the first element
      }
      if (c == '"') return String();
      if (c == '-' || IsDigit(c)) return Number();
      for (std::string_view literal : {"true", "false", "null"}) {
        if (s_.substr(i_, literal.size()) == literal) {
          i_ += literal.size();
          return true;
        }
      }
      if (c == ']' || c == '}') return Fail(StrCat("expected a value, not '", c, "'"));
      return Fail("expected a value (an object, array, string, number, true, false or null)");
    }
  }

  bool String() {
    ++i_;  // '"'
    while (true) {
      if (i_ >= s_.size()) return Fail("unterminated string");
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Fail("a control character in a string must be escaped");
      }
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) return Fail("unterminated string");
        const char e = s_[i_];
        if (e == 'u') {
          for (size_t k = 1; k <= 4; ++k) {
            if (i_ + k >= s_.size() || !IsHex(s_[i_ + k])) {
              i_ += k;
              return Fail("\\u must be followed by 4 hex digits");
            }
          }
          i_ += 5;
        } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
          ++i_;
        } else {
          return Fail(StrCat("unknown escape \\", e));
        }
        continue;
      }
      const size_t length = Utf8Length(s_, i_);
      if (length == 0) return Fail("invalid UTF-8");
      i_ += length;
    }
  }

  bool Number() {
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !IsDigit(s_[i_])) return Fail("expected a digit");
    if (s_[i_] == '0') {
      ++i_;
      if (i_ < s_.size() && IsDigit(s_[i_])) return Fail("a number must not start with 0");
    } else {
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !IsDigit(s_[i_])) return Fail("expected a digit after '.'");
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !IsDigit(s_[i_])) return Fail("expected a digit in the exponent");
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    return true;
  }

  std::string_view s_;
  size_t max_depth_;
  size_t i_ = 0;
  size_t error_at_ = 0;
  std::string error_;
};

}  // namespace

std::string JsonSyntaxError::ToString() const {
  return StrCat("line ", line, ", column ", column, ": ", message);
}

std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text, size_t max_depth) {
  Scanner scanner(text, max_depth);
  if (scanner.Scan()) return std::nullopt;
  JsonSyntaxError error;
  error.offset = scanner.error_at();
  error.message = scanner.error();
  for (size_t i = 0; i < error.offset; ++i) {
    if (text[i] == '\n') {
      ++error.line;
      error.column = 1;
    } else {
      ++error.column;
    }
  }
  return error;
}

}  // namespace vetrina
