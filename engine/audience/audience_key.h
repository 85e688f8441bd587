// The key the audience store files a user under. Every kind of user id — an IFA, an IFV, a user
// id, an extended id — maps to the first 128 bits of SHA-256 of its trimmed, lower-cased text,
// which is also what advertisers upload when they hash their lists, so raw and hashed uploads,
// pixel events and bid requests all meet on the same key without the store holding raw ids.
//
//   std::optional<AudienceKey> k = KeyForId("6D92078A-8246-4BA4-AE5B-76104861E7DC");
//   std::optional<AudienceKey> h = KeyFromSha256Hex(line);  // a hashed upload line
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vetrina::engine {

struct AudienceKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const AudienceKey&, const AudienceKey&) = default;
  friend bool operator<(const AudienceKey& a, const AudienceKey& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
};

// nullopt for an empty id and for an all-zero IFA (a user who limits ad tracking).
std::optional<AudienceKey> KeyForId(std::string_view id);

// `hex` is 64 hexadecimal digits (either case): the SHA-256 of a lower-cased id. nullopt
// otherwise.
std::optional<AudienceKey> KeyFromSha256Hex(std::string_view hex);

// Whether `id` is an all-zero IFA ("00000000-0000-0000-0000-000000000000").
bool IsZeroIfa(std::string_view id);

}  // namespace vetrina::engine
