#include "adapters/skadn/signer.h"

// The EC_KEY calls are deprecated in OpenSSL 3 in favour of EVP_PKEY, which has no way to use a
// precomputed (k⁻¹, r) pair; they stay available, and the pool is what keeps signing off the
// bid path's clock (docs/benchmarks.md).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cassert>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace vetrina::skadn {

struct Signer::Key {
  EC_KEY* ec = nullptr;
  ~Key() { EC_KEY_free(ec); }
};

struct Signer::Precomputed {
  BIGNUM* kinv = nullptr;
  BIGNUM* r = nullptr;
  ~Precomputed() {
    BN_clear_free(kinv);
    BN_clear_free(r);
  }
};

namespace {

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

Signer::Signer(std::unique_ptr<Key> key) : key_(std::move(key)) {}
Signer::~Signer() = default;

absl::StatusOr<std::unique_ptr<Signer>> Signer::FromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::InternalError("out of memory");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  EC_KEY* ec = EVP_PKEY_get1_EC_KEY(pkey);
  EVP_PKEY_free(pkey);
  if (ec == nullptr) return absl::InvalidArgumentError("not an EC key");
  auto key = std::make_unique<Key>();
  key->ec = ec;
  const EC_GROUP* group = EC_KEY_get0_group(ec);
  if (group == nullptr || EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1) {
    return absl::InvalidArgumentError("not a P-256 (prime256v1) key, which Apple requires");
  }
  return std::unique_ptr<Signer>(new Signer(std::move(key)));
}

absl::StatusOr<std::unique_ptr<Signer>> Signer::FromPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(path, ": no such file"));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::unique_ptr<Signer>> signer = FromPem(text.str());
  if (!signer.ok())
    return absl::InvalidArgumentError(StrCat(path, ": ", View(signer.status().message())));
  return signer;
}

std::string Signer::Sign(std::string_view message) const {
  std::unique_ptr<Precomputed> pair;
  {
    absl::MutexLock lock(&mu_);
    if (!pool_.empty()) {
      pair = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (pair == nullptr) return SignWithoutPool(message);
  const Digest digest = Sha256(message);
  unsigned char der[80];
  unsigned int size = 0;
  if (ECDSA_sign_ex(0, digest.data(), static_cast<int>(digest.size()), der, &size, pair->kinv,
                    pair->r, key_->ec) != 1) {
    // A pair that happens to give s = 0 is refused; a fresh signature then.
    return SignWithoutPool(message);
  }
  return Base64(der, size);
}

std::string Signer::SignWithoutPool(std::string_view message) const {
  const Digest digest = Sha256(message);
  unsigned char der[80];
  unsigned int size = 0;
  const int ok =
      ECDSA_sign(0, digest.data(), static_cast<int>(digest.size()), der, &size, key_->ec);
  assert(ok == 1);
  if (ok != 1) return "";
  return Base64(der, size);
}

size_t Signer::Refill(size_t count, size_t capacity) {
  size_t added = 0;
  for (; added < count; ++added) {
    {
      absl::MutexLock lock(&mu_);
      if (pool_.size() >= capacity) break;
    }
    auto pair = std::make_unique<Precomputed>();
    if (ECDSA_sign_setup(key_->ec, nullptr, &pair->kinv, &pair->r) != 1) break;
    absl::MutexLock lock(&mu_);
    pool_.push_back(std::move(pair));
  }
  return added;
}

size_t Signer::pooled() const {
  absl::MutexLock lock(&mu_);
  return pool_.size();
}

void Signer::AwaitPoolBelow(size_t count, const bool* stop, absl::Mutex* stop_mu) const {
  // Two mutexes: the pool's is polled with a bounded wait so a stop request is seen promptly.
  for (;;) {
    {
      absl::MutexLock lock(stop_mu);
      if (*stop) return;
    }
    absl::MutexLock lock(&mu_);
    auto below = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pool_.size() < count; };
    if (mu_.AwaitWithTimeout(absl::Condition(&below), absl::Milliseconds(100))) return;
  }
}

PoolKeeper::PoolKeeper(Signer& signer, size_t capacity)
    : signer_(signer), capacity_(capacity), thread_([this] { Run(); }) {}

PoolKeeper::~PoolKeeper() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void PoolKeeper::Run() {
  for (;;) {
    // In batches, so a stop request waits for one batch at most.
    while (signer_.Refill(64, capacity_) > 0) {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    signer_.AwaitPoolBelow(capacity_ * 3 / 4, &stop_, &mu_);
    absl::MutexLock lock(&mu_);
    if (stop_) return;
  }
}

std::string Signer::PublicKeyPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_EC_PUBKEY(bio, key_->ec);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

std::string UuidV4FromBytes(const uint8_t (&bytes)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint8_t b[16];
  std::copy(bytes, bytes + 16, b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // the RFC variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

std::string RandomNonceSource::NextUuid() {
  // One RAND_bytes call costs microseconds whatever its size (the DRBG's locks and checks), so
  // each thread draws 256 nonces' worth at a time.
  struct Buffer {
    uint8_t bytes[16 * 256];
    size_t used = sizeof bytes;
  };
  thread_local Buffer buffer;
  if (buffer.used == sizeof buffer.bytes) {
    const int ok = RAND_bytes(buffer.bytes, sizeof buffer.bytes);
    assert(ok == 1);
    (void)ok;
    buffer.used = 0;
  }
  uint8_t bytes[16];
  std::copy(buffer.bytes + buffer.used, buffer.bytes + buffer.used + 16, bytes);
  // Spent bytes are wiped, so a later look at the buffer finds no past nonce.
  std::fill(buffer.bytes + buffer.used, buffer.bytes + buffer.used + 16, 0);
  buffer.used += 16;
  return UuidV4FromBytes(bytes);
}

Signing::Signing(std::string network_id, std::unique_ptr<Signer> signer, const Clock& clock,
                 NonceSource& nonces)
    : network_id_(std::move(network_id)),
      signer_(std::move(signer)),
      clock_(clock),
      nonces_(nonces) {}

std::optional<SignedAttribution> Signing::Answer(const engine::BidRequest& request,
                                                 const engine::Imp& imp,
                                                 const engine::Campaign& campaign) const {
  std::optional<engine::SkadnAttribution> attribution =
      engine::DecideSkadn(request, imp, campaign, network_id_);
  if (!attribution) return std::nullopt;
  SignedAttribution out{.attribution = std::move(*attribution), .fidelities = {}};
  for (engine::SkadnFidelity fidelity :
       {engine::SkadnFidelity::kViewThrough, engine::SkadnFidelity::kStoreKitRendered}) {
    SignedFidelity& f = out.fidelities.emplace_back();
    f.fidelity = fidelity;
    f.nonce = nonces_.NextUuid();
    f.timestamp_ms = StrCat(absl::ToUnixMillis(clock_.Now()));
    f.signature = signer_->Sign(
        engine::SkadnSignedMessage(out.attribution, fidelity, f.nonce, f.timestamp_ms));
  }
  return out;
}

}  // namespace vetrina::skadn
