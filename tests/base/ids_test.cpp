#include "base/ids.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina {
namespace {

TEST_CASE("ids are checked: no path tricks, bounded length") {
  for (const char* id : {"../etc", "a/b", "", ".hidden", "-x", "a b", "é", "a\r\nb"}) {
    INFO(id);
    CHECK_FALSE(IsValidId(id));
  }
  CHECK(IsValidId("camp-2026_q1.v2"));
  CHECK(IsValidId("7"));
  CHECK(IsValidId(std::string(kMaxIdLength, 'a')));
  CHECK_FALSE(IsValidId(std::string(kMaxIdLength + 1, 'a')));
}

}  // namespace
}  // namespace vetrina
