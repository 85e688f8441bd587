#include "base/sha256.h"

#include <catch2/catch.hpp>
#include <random>

namespace vetrina {
namespace {

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors") {
  CHECK(ToHex(Sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ToHex(Sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(ToHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(ToHex(Sha256(std::string(1'000'000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("incremental hashing equals one-shot hashing at every split") {
  const std::string text(200, 'x');
  for (size_t split = 0; split <= text.size(); split += 7) {
    Sha256Hasher h;
    h.Update(std::string_view(text).substr(0, split));
    h.Update(std::string_view(text).substr(split));
    CHECK(h.Finish() == Sha256(text));
  }
}

TEST_CASE("HMAC-SHA256 matches RFC 4231") {
  CHECK(ToHex(HmacSha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size.
  CHECK(ToHex(HmacSha256(std::string(131, '\xaa'),
                         "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("constant-time comparison") {
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secrets"));
  CHECK(ConstantTimeEquals(Sha256("a"), Sha256("a")));
  CHECK_FALSE(ConstantTimeEquals(Sha256("a"), Sha256("b")));
}

TEST_CASE("a copied hasher continues from the same midstate") {
  // HmacSha256Key reuses its key's pads by copying hashers; a copy must not share state.
  Sha256Hasher prefix;
  prefix.Update(std::string(100, 'k'));
  Sha256Hasher a = prefix;
  Sha256Hasher b = prefix;
  a.Update("first");
  b.Update("second");
  CHECK(ToHex(a.Finish()) == ToHex(Sha256(std::string(100, 'k') + "first")));
  CHECK(ToHex(b.Finish()) == ToHex(Sha256(std::string(100, 'k') + "second")));
}

}  // namespace
}  // namespace vetrina
