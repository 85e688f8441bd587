#include "base/base64url.h"

#include <cstdint>

namespace vetrina {

void AppendBase64Url(std::string_view in, std::string* out) {
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t n = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                       static_cast<uint8_t>(in[i + 2]);
    out->push_back(kBase64UrlAlphabet[n >> 18]);
    out->push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
    out->push_back(kBase64UrlAlphabet[(n >> 6) & 63]);
    out->push_back(kBase64UrlAlphabet[n & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest == 0) return;
  uint32_t n = static_cast<uint8_t>(in[i]) << 16;
  if (rest == 2) n |= static_cast<uint8_t>(in[i + 1]) << 8;
  out->push_back(kBase64UrlAlphabet[n >> 18]);
  out->push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
  if (rest == 2) out->push_back(kBase64UrlAlphabet[(n >> 6) & 63]);
}

bool DecodeBase64Url(std::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = Base64UrlValue(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Unused trailing bits must be zero, so each token has exactly one spelling.
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace vetrina
