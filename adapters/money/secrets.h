// Secrets kept in the data dir: created once from the system's randomness, mode 0600, and read
// back on every start, so tokens signed before a restart still verify after it.
//
//   absl::StatusOr<std::string> key = LoadOrCreateSecret(dir + "/notice.key", SystemRandomBytes);
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace vetrina::money {

// Returns the 32-byte secret stored (hex) at `path`, creating it with `random(32)` when absent.
// DataLoss when the file exists but is not 64 hex digits.
absl::StatusOr<std::string> LoadOrCreateSecret(const std::string& path,
                                               const std::function<std::string(size_t)>& random);

}  // namespace vetrina::money
