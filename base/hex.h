// Hexadecimal, written once for the whole code base: lower-case digits out, either case in.
//
//   std::string text = BytesToHex(secret);                 // "00ff..."
//   std::optional<std::string> bytes = HexToBytes(text);   // the secret again
//   std::string id = HexNumber(255);                       // "ff"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vetrina {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// The value of one hex digit (0-9, a-f, A-F), or -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two lower-case digits per byte.
void AppendHex(std::string_view bytes, std::string* out);
std::string BytesToHex(std::string_view bytes);

// The bytes of an even-length hex string; nullopt when it has odd length or a non-hex digit.
std::optional<std::string> HexToBytes(std::string_view hex);

// `n` in lower-case hex without leading zeros ("0" for 0).
std::string HexNumber(uint64_t n);

}  // namespace vetrina
