#include "adapters/money/notice_request.h"

#include <catch2/catch.hpp>

namespace vetrina::money {
namespace {

TEST_CASE("notice URLs parse into kind, token and the exchange's price") {
  auto n = ParseNoticeRequest("/ev/win", "t=abc-_1&p=1.25");
  REQUIRE(n.ok());
  CHECK(n->kind == engine::NoticeKind::kWin);
  CHECK(n->token == "abc-_1");
  CHECK(n->price == 1'250'000);
  // The macro left literal (raw or percent-encoded), or no price: our own price applies.
  for (std::string_view q :
       {"t=x&p=${AUCTION_PRICE}", "t=x&p=%24%7BAUCTION_PRICE%7D", "t=x", "t=x&p="}) {
    auto literal = ParseNoticeRequest("/ev/bill", q);
    REQUIRE(literal.ok());
    CHECK_FALSE(literal->price.has_value());
  }
  CHECK(ParseNoticeRequest("/ev/loss", "t=x&p=0.5&r=102")->kind == engine::NoticeKind::kLoss);
  CHECK(ParseNoticeRequest("/ev/imp", "t=x")->kind == engine::NoticeKind::kImpression);
  CHECK(ParseNoticeRequest("/ev/click", "t=x")->kind == engine::NoticeKind::kClick);
}

TEST_CASE("bad notice URLs are errors, never guesses") {
  CHECK(ParseNoticeRequest("/ev/other", "t=x").status().code() == absl::StatusCode::kNotFound);
  CHECK(ParseNoticeRequest("/ev/win", "").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseNoticeRequest("/ev/win", "t=").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseNoticeRequest("/ev/win", "t=a&t=b").status().code() ==
        absl::StatusCode::kInvalidArgument);
  for (std::string_view p : {"-1", "1e3", "abc", ".5", "1.", "1,5", "99999999999"}) {
    INFO(p);
    CHECK_FALSE(ParseNoticeRequest("/ev/win", std::string("t=x&p=") + std::string(p)).ok());
  }
}

TEST_CASE("decimal prices become exact micros") {
  CHECK(ParseDecimalMicros("0") == 0);
  CHECK(ParseDecimalMicros("3") == 3'000'000);
  CHECK(ParseDecimalMicros("0.000001") == 1);
  CHECK(ParseDecimalMicros("12.5") == 12'500'000);
  CHECK(ParseDecimalMicros("1.2345678") == 1'234'567);  // exchanges send more decimals
  CHECK(ParseDecimalMicros("1000000000") == 1'000'000'000'000'000);
  CHECK_FALSE(ParseDecimalMicros("1000000001").has_value());
}

}  // namespace
}  // namespace vetrina::money
