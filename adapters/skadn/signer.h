// SKAdNetwork signatures: the ad network's ECDSA P-256 key signs Apple's message (engine/skadn)
// with SHA-256; the signature travels as base64 of its DER encoding, as Apple verifies it.
//
//   VETRINA_ASSIGN_OR_RETURN(auto signer, skadn::Signer::FromPemFile(data_dir +
//   "/skadnetwork.pem")); skadn::Signing signing("abcd1234.skadnetwork", std::move(signer), clock,
//   nonces); std::optional<skadn::SignedAttribution> a = signing.Answer(request, imp, campaign);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "engine/skadn/skadn.h"

namespace vetrina::skadn {

// The file in the data dir that holds the signing key (a PEM EC private key on P-256).
inline constexpr std::string_view kKeyFileName = "skadnetwork.pem";

// Holds the private key. Thread-safe.
class Signer {
 public:
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // A PEM private key ("EC PRIVATE KEY" or PKCS#8) on P-256; anything else is refused.
  static absl::StatusOr<std::unique_ptr<Signer>> FromPem(std::string_view pem);
  // NotFound when the file does not exist.
  static absl::StatusOr<std::unique_ptr<Signer>> FromPemFile(const std::string& path);

  // The base64 DER ECDSA signature of SHA-256(message). Uses a precomputed (k⁻¹, r) pair when
  // the pool has one (each used once), else computes the nonce point here.
  std::string Sign(std::string_view message) const;
  // Without the pool, for comparison.
  std::string SignWithoutPool(std::string_view message) const;

  // Precomputes up to `count` more (k⁻¹, r) pairs, to at most `capacity` in all: the costly
  // scalar multiplication of a signature, done off the bid path. Returns how many were added.
  size_t Refill(size_t count, size_t capacity);
  size_t pooled() const;
  // Blocks until the pool holds fewer than `count` pairs or `stop` turns true.
  void AwaitPoolBelow(size_t count, const bool* stop, absl::Mutex* stop_mu) const;

  std::string PublicKeyPem() const;

 private:
  struct Key;
  struct Precomputed;
  explicit Signer(std::unique_ptr<Key> key);

  std::unique_ptr<Key> key_;
  mutable absl::Mutex mu_;
  mutable std::vector<std::unique_ptr<Precomputed>> pool_ ABSL_GUARDED_BY(mu_);
};

// Keeps a signer's pool of precomputed pairs full from its own thread, so bids find a pair ready:
// it tops the pool up to `capacity` whenever it falls below three quarters of it.
class PoolKeeper {
 public:
  PoolKeeper(Signer& signer, size_t capacity);
  ~PoolKeeper();  // stops the thread
  PoolKeeper(const PoolKeeper&) = delete;
  PoolKeeper& operator=(const PoolKeeper&) = delete;

 private:
  void Run();

  Signer& signer_;
  const size_t capacity_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Where nonces come from: a fresh lower-case UUID (RFC 9562 version 4) per call. Thread-safe.
class NonceSource {
 public:
  virtual ~NonceSource() = default;
  virtual std::string NextUuid() = 0;
};

// Draws from OpenSSL's CSPRNG.
class RandomNonceSource final : public NonceSource {
 public:
  std::string NextUuid() override;
};

// Lower-case 8-4-4-4-12 text of 16 bytes, with the version 4 and variant bits set.
std::string UuidV4FromBytes(const uint8_t (&bytes)[16]);

struct SignedFidelity {
  engine::SkadnFidelity fidelity = engine::SkadnFidelity::kStoreKitRendered;
  std::string nonce;
  std::string timestamp_ms;
  std::string signature;
};

struct SignedAttribution {
  engine::SkadnAttribution attribution;
  std::vector<SignedFidelity> fidelities;  // view-through (0), then StoreKit-rendered (1)
};

// What bid responses answer `bid.ext.skadn` with. Thread-safe.
class Signing {
 public:
  Signing(std::string network_id, std::unique_ptr<Signer> signer, const Clock& clock,
          NonceSource& nonces);

  // engine::DecideSkadn's attribution, each fidelity signed with its own nonce and timestamp.
  std::optional<SignedAttribution> Answer(const engine::BidRequest& request, const engine::Imp& imp,
                                          const engine::Campaign& campaign) const;

  const std::string& network_id() const { return network_id_; }
  Signer& signer() const { return *signer_; }

 private:
  std::string network_id_;
  std::unique_ptr<Signer> signer_;
  const Clock& clock_;
  NonceSource& nonces_;
};

}  // namespace vetrina::skadn
