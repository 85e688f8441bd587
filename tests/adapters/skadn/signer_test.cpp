#include "adapters/skadn/signer.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "../../support/files.h"
#include "../../support/temp_dir.h"
#include "base/strings.h"

namespace vetrina::skadn {
namespace {

using vetrina::testing::Fixture;

constexpr char kOurs[] = "example123.skadnetwork";

// Apple's published field layout, written out here independently of engine::SkadnSignedMessage:
// the fields in order per version, joined by U+2063 (tests/fixtures/skadnetwork/README.md).
std::string AppleMessage(const std::map<std::string, std::string>& fields) {
  const std::string& version = fields.at("version");
  const std::vector<std::string> order =
      version == "4.0"
          ? std::vector<std::string>{"version", "network",   "sourceidentifier", "itunesitem",
                                     "nonce",   "sourceapp", "fidelity",         "timestamp"}
          : std::vector<std::string>{"version", "network",   "campaign", "itunesitem",
                                     "nonce",   "sourceapp", "fidelity", "timestamp"};
  std::string out;
  for (const std::string& name : order) {
    if (!out.empty()) out += "\u2063";
    out += fields.at(name);
  }
  return out;
}

std::vector<unsigned char> FromBase64(std::string_view text) {
  std::vector<unsigned char> out(text.size());
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  // EVP_DecodeBlock counts the padding's zero bytes; DER says its own length.
  out.resize(static_cast<size_t>(n));
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(out.size() - padding);
  return out;
}

// OpenSSL's verification against the fixture public key.
bool Verifies(std::string_view message, std::string_view signature_base64,
              const std::string& public_pem = Fixture("skadnetwork/test-key.pub.pem")) {
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(key != nullptr);
  const std::vector<unsigned char> signature = FromBase64(signature_base64);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

std::unique_ptr<Signer> TestSigner() {
  absl::StatusOr<std::unique_ptr<Signer>> signer =
      Signer::FromPem(Fixture("skadnetwork/test-key.pem"));
  REQUIRE(signer.ok());
  return std::move(*signer);
}

// Nonces 00000000-0000-4000-8000-00000000000N, in order.
class CountingNonces final : public NonceSource {
 public:
  std::string NextUuid() override {
    uint8_t bytes[16] = {};
    bytes[15] = static_cast<uint8_t>(++count_);
    return UuidV4FromBytes(bytes);
  }

 private:
  int count_ = 0;
};

TEST_CASE("the published vectors: our message matches byte for byte, each signature verifies") {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = Fixture("skadnetwork/signatures.json");
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  int checked = 0;
  for (simdjson::dom::element v : doc["vectors"].get_array()) {
    const std::string name{std::string_view(v["name"])};
    INFO(name);
    std::map<std::string, std::string> fields;
    for (const char* key : {"version", "network", "campaign", "sourceidentifier", "itunesitem",
                            "nonce", "sourceapp", "timestamp"}) {
      std::string_view value;
      if (v[key].get(value) == simdjson::SUCCESS) fields[key] = std::string(value);
    }
    fields["fidelity"] = std::to_string(int64_t(v["fidelity"]));
    std::string message;
    const std::string_view hex(v["message_hex"]);
    for (size_t i = 0; i < hex.size(); i += 2) {
      message.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    CHECK(AppleMessage(fields) == message);
    const engine::SkadnAttribution attribution{
        .version = fields["version"] == "4.0"   ? engine::SkadnVersion::k4_0
                   : fields["version"] == "3.0" ? engine::SkadnVersion::k3_0
                                                : engine::SkadnVersion::k2_2,
        .network = fields["network"],
        .campaign_or_source =
            fields.count("campaign") ? fields["campaign"] : fields["sourceidentifier"],
        .itunes_item = fields["itunesitem"],
        .source_app = fields["sourceapp"]};
    CHECK(engine::SkadnSignedMessage(attribution,
                                     fields["fidelity"] == "0"
                                         ? engine::SkadnFidelity::kViewThrough
                                         : engine::SkadnFidelity::kStoreKitRendered,
                                     fields["nonce"], fields["timestamp"]) == message);
    CHECK(Verifies(message, std::string_view(v["signature"])));
    CHECK_FALSE(Verifies(message + "x", std::string_view(v["signature"])));
    ++checked;
  }
  CHECK(checked == 3);
}

TEST_CASE("every signature we answer verifies against Apple's layout, per version") {
  ManualClock clock(absl::FromUnixMillis(1'800'000'000'123));
  CountingNonces nonces;
  Signing signing(kOurs, TestSigner(), clock, nonces);
  signing.signer().Refill(2, 2);  // the first answer signs with pooled pairs, the rest without
  engine::BidRequest request;
  request.device.os = "ios";
  engine::Imp& imp = request.imps.emplace_back();
  engine::Campaign campaign;
  campaign.itunes_item = "123456789";
  campaign.skadn_campaign = 45;
  campaign.skadn_source_identifier = 4321;
  int nonce = 0;
  for (const char* version : {"4.0", "3.0", "2.2"}) {
    INFO(version);
    imp.skadn = engine::SkadnRequest{
        .versions = {version}, .source_app = "880047117", .network_ids = {kOurs}};
    std::optional<SignedAttribution> answer = signing.Answer(request, imp, campaign);
    REQUIRE(answer);
    CHECK(engine::SkadnVersionName(answer->attribution.version) == version);
    REQUIRE(answer->fidelities.size() == 2);
    for (const SignedFidelity& f : answer->fidelities) {
      // Each fidelity its own nonce; time from the injected clock.
      ++nonce;
      CHECK(f.nonce == StrCat("00000000-0000-4000-8000-0000000000", nonce < 10 ? "0" : "", nonce));
      CHECK(f.timestamp_ms == "1800000000123");
      std::map<std::string, std::string> fields = {
          {"version", version},         {"network", kOurs},
          {"itunesitem", "123456789"},  {"nonce", f.nonce},
          {"sourceapp", "880047117"},   {"fidelity", std::to_string(static_cast<int>(f.fidelity))},
          {"timestamp", f.timestamp_ms}};
      fields[std::string(version) == "4.0" ? "sourceidentifier" : "campaign"] =
          std::string(version) == "4.0" ? "4321" : "45";
      CHECK(Verifies(AppleMessage(fields), f.signature));
    }
    CHECK(answer->fidelities[0].fidelity == engine::SkadnFidelity::kViewThrough);
    CHECK(answer->fidelities[1].fidelity == engine::SkadnFidelity::kStoreKitRendered);
  }
  CHECK(signing.signer().pooled() == 0);
}

TEST_CASE("the pool: each precomputed pair signs once, and its signatures verify") {
  std::unique_ptr<Signer> signer = TestSigner();
  CHECK(signer->Refill(5, 3) == 3);  // up to the capacity
  CHECK(signer->pooled() == 3);
  std::vector<std::string> signatures;
  for (int i = 0; i < 4; ++i) {  // three pooled, then one without
    signatures.push_back(signer->Sign("message"));
    CHECK(Verifies("message", signatures.back()));
  }
  CHECK(signer->pooled() == 0);
  // A fresh k each time: no two signatures of one message alike.
  std::sort(signatures.begin(), signatures.end());
  CHECK(std::unique(signatures.begin(), signatures.end()) == signatures.end());
  CHECK(Verifies("message", signer->SignWithoutPool("message")));
  CHECK(Verifies("message", signer->Sign("message"), signer->PublicKeyPem()));
}

TEST_CASE("a key Apple would not accept is refused; an absent key file is NotFound") {
  CHECK(Signer::FromPem("not a key").status().code() == absl::StatusCode::kInvalidArgument);
  constexpr char kP384[] =
      "-----BEGIN EC PRIVATE KEY-----\n"
      "MIGkAgEBBDB4oMEYCdrEmpJEPQ7nULCJDoSx7+LQ8nGzalPq3RR1aU84/2HsQLqb\n"
      "MRDVCn4TXpegBwYFK4EEACKhZANiAASyqBwX3/djLOkq+g3K6HYhqai5Y1Qq6ogl\n"
      "LgsOVQxbGef1ui6UWNA5mHNzIVssTsS6MwvVFR/l2bzYfjUi7tWYEMCEXSNmAGRp\n"
      "Ecy93P6WtB8xyXX0GYu96kLCyuVZ7+g=\n"
      "-----END EC PRIVATE KEY-----\n";
  absl::StatusOr<std::unique_ptr<Signer>> p384 = Signer::FromPem(kP384);
  CHECK(p384.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(p384.status().message().find("P-256") != absl::string_view::npos);
  vetrina::testing::TempDir dir;
  CHECK(Signer::FromPemFile((dir.path / "skadnetwork.pem").string()).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("nonces are lower-case version 4 UUIDs") {
  const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK(UuidV4FromBytes(ones) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
  RandomNonceSource random;
  const std::string a = random.NextUuid(), b = random.NextUuid();
  CHECK(a != b);
  CHECK(a.size() == 36);
  CHECK(a[14] == '4');
  CHECK(a.find_first_not_of("0123456789abcdef-") == std::string::npos);
}

}  // namespace
}  // namespace vetrina::skadn
