#include "base/hex.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina {
namespace {

TEST_CASE("bytes round-trip through lower-case hex") {
  const std::string bytes("\x00\x01\x7f\x80\xab\xff", 6);
  CHECK(BytesToHex(bytes) == "00017f80abff");
  CHECK(HexToBytes("00017f80abff") == bytes);
  CHECK(HexToBytes("00017F80ABFF") == bytes);  // either case in
  CHECK(BytesToHex("").empty());
  CHECK(HexToBytes("") == std::string());
}

TEST_CASE("malformed hex is refused, not half-decoded") {
  CHECK_FALSE(HexToBytes("abc").has_value());  // odd length
  CHECK_FALSE(HexToBytes("0g").has_value());
  CHECK_FALSE(HexToBytes("  ").has_value());
  CHECK(HexDigitValue('9') == 9);
  CHECK(HexDigitValue('F') == 15);
  CHECK(HexDigitValue('z') == -1);
}

TEST_CASE("numbers print without leading zeros") {
  CHECK(HexNumber(0) == "0");
  CHECK(HexNumber(255) == "ff");
  CHECK(HexNumber(0x1000) == "1000");
  CHECK(HexNumber(~uint64_t{0}) == "ffffffffffffffff");
}

}  // namespace
}  // namespace vetrina
