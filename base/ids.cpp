#include "base/ids.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace vetrina {

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength ||
      !absl::ascii_isalnum(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace vetrina
