#include "adapters/fleet/shared_secret.h"

#include "base/strings.h"

namespace vetrina::fleet {

absl::StatusOr<std::string> LoadOrCreateSharedSecret(
    const redis::RedisLink& link, const std::function<std::string(size_t)>& random) {
  constexpr size_t kSecretBytes = 32;
  const std::string candidate = random(kSecretBytes);
  // SET NX then GET: whichever node set it first, every node reads the same value.
  absl::StatusOr<redis::RedisReply> set =
      link.Call(kSecretKey, {"SET", kSecretKey, candidate, "NX"});
  if (!set.ok()) return set.status();
  absl::StatusOr<redis::RedisReply> stored = link.Call(kSecretKey, {"GET", kSecretKey});
  if (!stored.ok()) return stored.status();
  if (stored->type != redis::RedisReply::Type::kString || stored->str.size() != kSecretBytes) {
    return absl::DataLossError(StrCat(kSecretKey, " in Redis is not a ", kSecretBytes,
                                      "-byte secret; delete it only if no notice is outstanding"));
  }
  return stored->str;
}

}  // namespace vetrina::fleet
