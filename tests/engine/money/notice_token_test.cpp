#include "engine/money/notice_token.h"

#include <catch2/catch.hpp>

namespace vetrina::engine {
namespace {

const absl::Time kIssued = absl::FromUnixSeconds(1'800'000'000);

NoticeToken Token() {
  return NoticeToken{.auction_id = "req-1",
                     .bid_id = "b-7",
                     .campaign_id = "camp",
                     .creative_id = "cr",
                     .app = "com.example",
                     .bid_price = 1'250'000,
                     .currency = "EUR",
                     .rate_micros = 920'000,
                     .click_price = 0,
                     .user = 0xfeedULL,
                     .issued = kIssued,
                     .expires = kIssued + absl::Seconds(60)};
}

TEST_CASE("a signed token verifies and round-trips every field") {
  const HmacSha256Key key("secret");
  const std::string text = SignNoticeToken(Token(), key);
  for (char c : text) CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
  absl::StatusOr<NoticeToken> back = VerifyNoticeToken(text, key, kIssued + absl::Seconds(1));
  REQUIRE(back.ok());
  CHECK(*back == Token());
}

TEST_CASE("the scope is signed: an ad token cannot pass for an exchange token") {
  const HmacSha256Key key("secret");
  NoticeToken ad = Token();
  ad.scope = TokenScope::kAd;
  absl::StatusOr<NoticeToken> back =
      VerifyNoticeToken(SignNoticeToken(ad, key), key, kIssued + absl::Seconds(1));
  REQUIRE(back.ok());
  CHECK(back->scope == TokenScope::kAd);
  CHECK(SignNoticeToken(ad, key) != SignNoticeToken(Token(), key));
  // Over-long fields are cut when signing, so every token we issue verifies.
  NoticeToken long_fields = Token();
  long_fields.auction_id = std::string(5000, 'a');
  long_fields.app = std::string(300, 'b');
  back = VerifyNoticeToken(SignNoticeToken(long_fields, key), key, kIssued);
  REQUIRE(back.ok());
  CHECK(back->auction_id.size() == kMaxTokenField);
  CHECK(back->app == CtrApp(long_fields.app));
  // An expired token still verifies when the expiry is not asked about (a late click).
  CHECK(VerifyNoticeToken(SignNoticeToken(Token(), key), key, absl::InfinitePast()).ok());
}

TEST_CASE("a forged, altered, expired or malformed token is refused") {
  const HmacSha256Key key("secret");
  const std::string text = SignNoticeToken(Token(), key);
  const absl::Time now = kIssued + absl::Seconds(1);
  // Another key's signature.
  CHECK(VerifyNoticeToken(text, HmacSha256Key("other"), now).status().code() ==
        absl::StatusCode::kPermissionDenied);
  // Any changed character.
  for (size_t i = 0; i < text.size(); ++i) {
    std::string altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(VerifyNoticeToken(altered, key, now).ok());
  }
  // A bigger price, re-encoded with the old MAC, does not verify.
  NoticeToken richer = Token();
  richer.bid_price = 99'000'000;
  const std::string other = SignNoticeToken(richer, key);
  CHECK_FALSE(VerifyNoticeToken(other.substr(0, other.size() - 22) + text.substr(text.size() - 22),
                                key, now)
                  .ok());
  // Expired.
  CHECK(VerifyNoticeToken(text, key, kIssued + absl::Seconds(60)).status().code() ==
        absl::StatusCode::kPermissionDenied);
  // Malformed.
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "!", "abc", "A", std::string_view(text).substr(0, 10)}) {
    CHECK_FALSE(VerifyNoticeToken(bad, key, now).ok());
  }
  CHECK_FALSE(VerifyNoticeToken(std::string(5000, 'A'), key, now).ok());
}

}  // namespace
}  // namespace vetrina::engine
