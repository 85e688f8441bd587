#include "base/json_writer.h"

#include <cmath>
#include <cstdio>

#include "base/hex.h"
#include "base/strings.h"

namespace vetrina {

void AppendJsonEscaped(std::string_view text, std::string* out) {
  // Copies runs of characters that need no escape in one append: responses carry whole ad
  // markup, and byte-by-byte appends were the bid path's largest cost.
  out->reserve(out->size() + text.size() + 16);
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHexDigits[u >> 4]);
        out->push_back(kHexDigits[u & 0xf]);
    }
  }
  out->append(text.data() + run, text.size() - run);
}

void AppendDecimal(int64_t micros, std::string* out) {
  constexpr int64_t kMillion = 1'000'000;
  if (micros < 0) {
    out->push_back('-');
    micros = -micros;
  }
  StrAppend(out, micros / kMillion);
  int64_t frac = micros % kMillion;
  if (frac == 0) return;
  char digits[7] = "000000";
  for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
  int len = 6;
  while (digits[len - 1] == '0') --len;
  out->push_back('.');
  out->append(digits, len);
}

void JsonWriter::Int(int64_t value) {
  Separate();
  StrAppend(out_, value);
}

void JsonWriter::Double(double value) {
  Separate();
  if (!std::isfinite(value)) value = 0;  // JSON has no NaN or infinity
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%.6g", value);
  out_->append(buf, n);
}

}  // namespace vetrina
