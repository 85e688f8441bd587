#include "adapters/http/gzip.h"

#include <catch2/catch.hpp>
#include <random>

namespace vetrina::http {
namespace {

TEST_CASE("gzip round-trips") {
  std::string data;
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) data.push_back(static_cast<char>('a' + rng() % 5));
  std::string compressed, inflated;
  GzipDeflate(data, &compressed);
  CHECK(compressed.size() < data.size());
  REQUIRE(GzipInflate(compressed, data.size(), &inflated).ok());
  CHECK(inflated == data);
}

TEST_CASE("inflation stops at the limit: a gzip bomb is ResourceExhausted") {
  std::string zeros(10 * 1024 * 1024, '\0');
  std::string bomb, out;
  GzipDeflate(zeros, &bomb);
  CHECK(bomb.size() < 64 * 1024);
  absl::Status s = GzipInflate(bomb, 256 * 1024, &out);
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(out.empty());
}

TEST_CASE("corrupt, truncated and non-gzip bodies are InvalidArgument") {
  std::string compressed, out;
  GzipDeflate("{\"id\":\"x\"}", &compressed);
  CHECK(GzipInflate("{\"id\":\"x\"}", 1024, &out).code() == absl::StatusCode::kInvalidArgument);
  CHECK(GzipInflate(compressed.substr(0, compressed.size() / 2), 1024, &out).code() ==
        absl::StatusCode::kInvalidArgument);
  std::string flipped = compressed;
  flipped[flipped.size() / 2] ^= 0x55;
  CHECK(GzipInflate(flipped, 1024, &out).code() == absl::StatusCode::kInvalidArgument);
  CHECK(GzipInflate(compressed + "junk", 1024, &out).code() == absl::StatusCode::kInvalidArgument);
  CHECK(GzipInflate("", 1024, &out).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Accept-Encoding parsing") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("br, gzip, deflate"));
  CHECK(AcceptsGzip("GZIP;q=0.5"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("br, deflate"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0.000"));
  CHECK_FALSE(AcceptsGzip("xgzip"));
}

}  // namespace
}  // namespace vetrina::http
