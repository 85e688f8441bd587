// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for hashed tokens, hashed device ids and
// signed notice URLs. Written here because the approved Debian packages carry no crypto library.
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

// Incremental SHA-256. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(std::string_view data);
  Digest Finish();  // the hasher must not be used afterwards

 private:
  friend struct Sha256Testing;
  void Block(const uint8_t* block);
  static void CompressPortable(std::array<uint32_t, 8>* state, const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

Digest Sha256(std::string_view data);

namespace sha256_internal {
// Whether this CPU has the SHA extensions the accelerated block function uses.
bool Accelerated();
void CompressAccelerated(std::array<uint32_t, 8>* state, const uint8_t* block);
}  // namespace sha256_internal

// Lets tests run the portable block function beside the accelerated one.
struct Sha256Testing {
  static void CompressPortable(std::array<uint32_t, 8>* state, const uint8_t* block) {
    Sha256Hasher::CompressPortable(state, block);
  }
};
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
