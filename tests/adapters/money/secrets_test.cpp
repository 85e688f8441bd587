#include "adapters/money/secrets.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "../../support/temp_dir.h"

namespace vetrina::money {
namespace {

TEST_CASE("a secret is created once and read back the same; a damaged one is refused") {
  vetrina::testing::TempDir dir;
  const std::string path = (dir.path / "notice.key").string();
  int calls = 0;
  auto random = [&](size_t n) {
    ++calls;
    return std::string(n, '\x5a');
  };
  absl::StatusOr<std::string> first = LoadOrCreateSecret(path, random);
  REQUIRE(first.ok());
  CHECK(*first == std::string(32, '\x5a'));
  absl::StatusOr<std::string> second = LoadOrCreateSecret(path, random);
  REQUIRE(second.ok());
  CHECK(*second == *first);
  CHECK(calls == 1);
  std::ofstream(path) << "not hex";
  CHECK(LoadOrCreateSecret(path, random).status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vetrina::money
