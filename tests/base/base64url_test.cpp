#include "base/base64url.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace vetrina {
namespace {

std::string Encode(std::string_view bytes) {
  std::string out;
  AppendBase64Url(bytes, &out);
  return out;
}

TEST_CASE("base64url without padding, RFC 4648 vectors") {
  CHECK(Encode("").empty());
  CHECK(Encode("f") == "Zg");
  CHECK(Encode("fo") == "Zm8");
  CHECK(Encode("foo") == "Zm9v");
  CHECK(Encode("foob") == "Zm9vYg");
  CHECK(Encode("\xfb\xff") == "-_8");  // the URL-safe letters, never '+' or '/'
}

TEST_CASE("any bytes round-trip") {
  std::mt19937 gen(7);
  for (int n = 0; n < 200; ++n) {
    std::string bytes(n % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(gen());
    std::string back;
    REQUIRE(DecodeBase64Url(Encode(bytes), &back));
    CHECK(back == bytes);
  }
}

TEST_CASE("each byte string has one accepted spelling") {
  std::string out;
  CHECK_FALSE(DecodeBase64Url("Zh", &out));     // trailing bits not zero
  CHECK_FALSE(DecodeBase64Url("Zm9vY", &out));  // impossible length
  CHECK_FALSE(DecodeBase64Url("Zm+v", &out));   // standard alphabet
  CHECK_FALSE(DecodeBase64Url("Zg==", &out));   // padding
  CHECK(Base64UrlValue('_') == 63);
  CHECK(Base64UrlValue('=') == -1);
}

}  // namespace
}  // namespace vetrina
