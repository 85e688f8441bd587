// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for hashed tokens, hashed device ids and
// signed notice URLs, computed by OpenSSL's libcrypto. The header names no OpenSSL type, so the
// pure engine can hash without seeing OpenSSL.
//
//   std::array<uint8_t, 32> digest = Sha256("abc");
//   std::string hex = ToHex(digest);
//   bool same = ConstantTimeEquals(a, b);
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace vetrina {

using Digest = std::array<uint8_t, 32>;

// Incremental SHA-256. Not thread-safe; copyable (a copy continues from the same midstate).
class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(std::string_view data);
  Digest Finish();  // the hasher must not be used afterwards

  // Room for OpenSSL's SHA256_CTX (112 bytes in OpenSSL 3); sha256.cpp checks that it fits.
  static constexpr size_t kStateBytes = 128;

 private:
  alignas(8) std::array<unsigned char, kStateBytes> state_;
};

Digest Sha256(std::string_view data);

Digest HmacSha256(std::string_view key, std::string_view message);

// HMAC-SHA256 with the key's inner and outer pads hashed once, for signing many messages with
// one key. Thread-safe (immutable after construction).
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  Digest Sign(std::string_view message) const;

 private:
  Sha256Hasher inner_;  // state after the key XOR ipad block
  Sha256Hasher outer_;  // state after the key XOR opad block
};

std::string ToHex(const Digest& digest);

// Compares without an early exit, so timing does not tell how much of a secret matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
bool ConstantTimeEquals(const Digest& a, const Digest& b);

}  // namespace vetrina
