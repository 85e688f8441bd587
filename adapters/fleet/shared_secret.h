// The fleet's one secret, from which every node derives its notice-signing and user-hashing keys
// (money::DeriveKey), so a notice signed by one node verifies on every other. It lives in Redis
// under vt:{secret}: the first node to join creates it (SET NX), later ones read it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/redis/redis_link.h"

namespace vetrina::fleet {

inline constexpr char kSecretKey[] = "vt:{secret}";

// Returns the 32-byte secret, creating it with `random(32)` when the fleet has none. DataLoss
// when the stored value is not 32 bytes; the link's error when Redis cannot be reached.
absl::StatusOr<std::string> LoadOrCreateSharedSecret(
    const redis::RedisLink& link, const std::function<std::string(size_t)>& random);

}  // namespace vetrina::fleet
