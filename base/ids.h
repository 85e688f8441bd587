// The one grammar of the ids advertisers choose (campaigns, creatives, advertisers, audiences):
// a letter or digit, then letters, digits, '.', '_' or '-', at most 64 in all. It keeps ids safe
// in paths, URLs, journal records and log lines.
//
//   if (!IsValidId(id)) -> 400 "id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#pragma once

#include <cstddef>
#include <string_view>

namespace vetrina {

inline constexpr size_t kMaxIdLength = 64;
inline constexpr std::string_view kIdPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

bool IsValidId(std::string_view id);

}  // namespace vetrina
