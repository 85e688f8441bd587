#include "adapters/money/secrets.h"

#include <fstream>
#include <sstream>

#include "adapters/storage/journal.h"
#include "base/hex.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace vetrina::money {
absl::StatusOr<std::string> LoadOrCreateSecret(const std::string& path,
                                               const std::function<std::string(size_t)>& random) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string hex = text.str();
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    std::optional<std::string> secret = HexToBytes(hex);
    if (!secret || secret->size() != 32) {
      return absl::DataLossError(StrCat(path, ": not a 32-byte hex secret"));
    }
    return *std::move(secret);
  }
  const std::string secret = random(32);
  std::string hex = BytesToHex(secret);
  hex.push_back('\n');
  if (absl::Status s = storage::WriteFileAtomically(path, hex, 0600); !s.ok()) return s;
  return secret;
}

std::string DeriveKey(const std::string& secret, std::string_view purpose) {
  const vetrina::Digest d = vetrina::HmacSha256(secret, purpose);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace vetrina::money
