#include "base/hex.h"

namespace vetrina {

void AppendHex(std::string_view bytes, std::string* out) {
  out->reserve(out->size() + 2 * bytes.size());
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out->push_back(kHexDigits[b >> 4]);
    out->push_back(kHexDigits[b & 0xf]);
  }
}

std::string BytesToHex(std::string_view bytes) {
  std::string out;
  AppendHex(bytes, &out);
  return out;
}

std::optional<std::string> HexToBytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = HexDigitValue(hex[i]), low = HexDigitValue(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high << 4 | low));
  }
  return out;
}

std::string HexNumber(uint64_t n) {
  char digits[16];
  int i = 16;
  do {
    digits[--i] = kHexDigits[n & 0xf];
    n >>= 4;
  } while (n != 0);
  return std::string(digits + i, 16 - i);
}

}  // namespace vetrina
