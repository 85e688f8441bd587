#include "adapters/money/secrets.h"

#include <fstream>
#include <sstream>

#include "adapters/storage/journal.h"
#include "engine/sha256.h"
#include "engine/strings.h"

namespace vetrina::money {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateSecret(const std::string& path,
                                               const std::function<std::string(size_t)>& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string hex = text.str();
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    std::string secret;
    for (size_t i = 0; hex.size() == 64 && i < hex.size(); i += 2) {
      const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
      if (hi < 0 || lo < 0) break;
      secret.push_back(static_cast<char>(hi << 4 | lo));
    }
    if (secret.size() != 32) return absl::DataLossError(StrCat(path, ": not a 32-byte hex secret"));
    return secret;
  }
  const std::string secret = random(32);
  std::string hex;
  for (char c : secret) {
    hex.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    hex.push_back(kHex[static_cast<uint8_t>(c) & 0xf]);
  }
  hex.push_back('\n');
  if (absl::Status s = storage::WriteFileAtomically(path, hex, 0600); !s.ok()) return s;
  return secret;
}

std::string DeriveKey(const std::string& secret, std::string_view purpose) {
  const engine::Digest d = engine::HmacSha256(secret, purpose);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace vetrina::money
