// Secrets kept in the data dir: created once from the system's randomness, mode 0600, and read
// back on every start, so tokens signed before a restart still verify after it.
//
//   absl::StatusOr<std::string> key = LoadOrCreateSecret(dir + "/notice.key", SystemRandomBytes);
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vetrina::money {

// Returns the 32-byte secret stored (hex) at `path`, creating it with `random(32)` when absent.
// DataLoss when the file exists but is not 64 hex digits.
absl::StatusOr<std::string> LoadOrCreateSecret(const std::string& path,
                                               const std::function<std::string(size_t)>& random);

// A key for one `purpose` ("notice-token", "frequency-user-key") derived from the secret:
// HMAC-SHA256(secret, purpose), so one stored secret serves every use without reuse.
std::string DeriveKey(const std::string& secret, std::string_view purpose);

}  // namespace vetrina::money
