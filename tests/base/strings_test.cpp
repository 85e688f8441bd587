#include "base/strings.h"

#include <catch2/catch.hpp>

namespace vetrina {
namespace {

TEST_CASE("StrCat joins strings, views, characters and integers") {
  CHECK(StrCat("imp[", 3, "].", std::string_view("id"), '!', std::string("?"), -7) ==
        "imp[3].id!?-7");
  std::string out = "a";
  StrAppend(&out, "b", 12u);
  CHECK(out == "ab12");
}

TEST_CASE("StripAsciiWhitespace trims both ends, only ASCII whitespace") {
  CHECK(StripAsciiWhitespace(" \t\r\n x y \v\f") == "x y");
  CHECK(StripAsciiWhitespace("xy") == "xy");
  CHECK(StripAsciiWhitespace(" \t ").empty());
  CHECK(StripAsciiWhitespace("").empty());
  CHECK(StripAsciiWhitespace("\xc2\xa0x") == "\xc2\xa0x");  // no-break space is not ASCII
}

}  // namespace
}  // namespace vetrina
