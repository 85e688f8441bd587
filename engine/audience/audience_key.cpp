#include "engine/audience/audience_key.h"

#include <string>

#include "base/hex.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace vetrina::engine {
namespace {

AudienceKey KeyFromDigest(const Digest& d) {
  AudienceKey k;
  for (int i = 0; i < 8; ++i) k.hi = (k.hi << 8) | d[i];
  for (int i = 8; i < 16; ++i) k.lo = (k.lo << 8) | d[i];
  return k;
}

}  // namespace

bool IsZeroIfa(std::string_view id) {
  id = StripAsciiWhitespace(id);
  bool any_digit = false;
  for (char c : id) {
    if (c == '0') {
      any_digit = true;
    } else if (c != '-') {
      return false;
    }
  }
  return any_digit;
}

std::optional<AudienceKey> KeyForId(std::string_view id) {
  id = StripAsciiWhitespace(id);
  if (id.empty() || IsZeroIfa(id)) return std::nullopt;
  std::string lower(id);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return KeyFromDigest(Sha256(lower));
}

std::optional<AudienceKey> KeyFromSha256Hex(std::string_view hex) {
  hex = StripAsciiWhitespace(hex);
  if (hex.size() != 64) return std::nullopt;
  Digest d{};
  for (int i = 0; i < 32; ++i) {
    const int high = HexDigitValue(hex[2 * i]);
    const int low = HexDigitValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return KeyFromDigest(d);
}

}  // namespace vetrina::engine
