#include "base/sha256.h"

// The low-level SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, but they are the
// fast path here: EVP_DigestInit fetches the algorithm from a provider and EVP_MD_CTX_copy
// allocates, both per call, while a SHA256_CTX is a plain struct we copy to reuse the HMAC
// key's midstates (docs/benchmarks.md has the figures).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>
#include <new>
#include <type_traits>

#include "base/hex.h"

namespace vetrina {
namespace {

static_assert(sizeof(SHA256_CTX) <= Sha256Hasher::kStateBytes);
static_assert(alignof(SHA256_CTX) <= 8);
static_assert(std::is_trivially_copyable_v<SHA256_CTX>);

SHA256_CTX* Ctx(std::array<unsigned char, Sha256Hasher::kStateBytes>& state) {
  return std::launder(reinterpret_cast<SHA256_CTX*>(state.data()));
}

}  // namespace

Sha256Hasher::Sha256Hasher() { SHA256_Init(Ctx(state_)); }

void Sha256Hasher::Update(std::string_view data) {
  SHA256_Update(Ctx(state_), data.data(), data.size());
}

Digest Sha256Hasher::Finish() {
  Digest out;
  SHA256_Final(out.data(), Ctx(state_));
  return out;
}

Digest Sha256(std::string_view data) {
  Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

HmacSha256Key::HmacSha256Key(std::string_view key) {
  std::array<uint8_t, 64> block{};
  if (key.size() > 64) {
    const Digest k = Sha256(key);
    std::memcpy(block.data(), k.data(), k.size());
  } else {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<char, 64> inner, outer;
  for (int i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(block[i] ^ 0x36);
    outer[i] = static_cast<char>(block[i] ^ 0x5c);
  }
  inner_.Update(std::string_view(inner.data(), 64));
  outer_.Update(std::string_view(outer.data(), 64));
}

Digest HmacSha256Key::Sign(std::string_view message) const {
  Sha256Hasher in = inner_;
  in.Update(message);
  const Digest inner_digest = in.Finish();
  Sha256Hasher out = outer_;
  out.Update(std::string_view(reinterpret_cast<const char*>(inner_digest.data()), 32));
  return out.Finish();
}

Digest HmacSha256(std::string_view key, std::string_view message) {
  return HmacSha256Key(key).Sign(message);
}

std::string ToHex(const Digest& digest) {
  return BytesToHex({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

bool ConstantTimeEquals(const Digest& a, const Digest& b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace vetrina
