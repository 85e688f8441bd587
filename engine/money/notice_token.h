// The signed token every notice URL of a bid carries (/ev/{win,bill,loss,imp,click}?t=...). It
// names the bid and what it may cost, so a notice needs no lookup to be priced, and it is
// HMAC-SHA256-signed so nobody can forge, alter or replay it past its expiry. It carries no
// personal data: the user appears only as a keyed hash, for frequency capping.
//
//   HmacSha256Key key(secret);
//   std::string t = SignNoticeToken(token, key);
//   absl::StatusOr<NoticeToken> back = VerifyNoticeToken(t, key, now);
//
// Format: base64url(payload || first 16 bytes of HMAC(payload)); payload starts with a version
// byte, then the fields in wire.h encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/sha256.h"
#include "base/wire.h"
#include "engine/core/money.h"
#include "engine/money/lease.h"

namespace vetrina::engine {

// What a token may be used for. The exchange's notices and the ad's trackers get different
// tokens: the ad's markup is read by the app, the user and anyone in between, and must not be
// able to report a win, a price or a loss.
enum class TokenScope : uint8_t {
  kExchange = 1,  // /ev/win, /ev/bill, /ev/loss
  kAd = 2,        // /ev/imp, /ev/click
};

// Field limits that keep every token verifiable (VerifyNoticeToken refuses longer fields).
inline constexpr size_t kMaxTokenField = 128;

struct NoticeToken {
  TokenScope scope = TokenScope::kExchange;
  std::string auction_id;  // the request's id (at most kMaxTokenField bytes)
  std::string bid_id;
  std::string campaign_id;
  std::string creative_id;
  std::string app;  // bundle or domain the ad ran in (CtrApp of it): the CTR model's key
  // The price we bid for the imp, USD CPM micros: charged when the exchange leaves
  // ${AUCTION_PRICE} literal, and the ceiling for a price it substitutes.
  Micros bid_price = 0;
  // The response's currency, in which the exchange reports ${AUCTION_PRICE}, and its rate
  // (micro-units per USD) when we bid.
  std::string currency = "USD";
  int64_t rate_micros = kMicrosPerUnit;
  // CPC bids: what a click costs the advertiser, USD micros. 0 for CPM bids.
  Micros click_price = 0;
  // Keyed hash of the user's frequency key; 0 when the user may not be capped or is unknown.
  uint64_t user = 0;
  // The fleet lease the bid was reserved under; none on a single node.
  LeaseId lease = {};
  absl::Time issued;
  absl::Time expires;

  bool cpc() const { return click_price > 0; }
  friend bool operator==(const NoticeToken&, const NoticeToken&) = default;
};

// The token's fields in the wire encoding, times in whole seconds: what a signed token carries,
// and what a fleet's notice records carry. Strings longer than kMaxTokenField are cut to it.
void WriteNoticeTokenFields(const NoticeToken& token, ByteWriter& w);
// Reads what WriteNoticeTokenFields wrote; false when it is not a well-formed token.
// `with_lease`: false for the fields of tokens signed before leases existed.
bool ReadNoticeTokenFields(ByteReader& r, NoticeToken* token, bool with_lease = true);

// Strings longer than kMaxTokenField are cut to it.
std::string SignNoticeToken(const NoticeToken& token, const HmacSha256Key& key);

// InvalidArgument when the text is not a token; PermissionDenied when the signature does not
// match (forged or altered) or the token has expired at `now` (absl::InfinitePast() skips the
// expiry check: a click may still be redirected after its token expired).
absl::StatusOr<NoticeToken> VerifyNoticeToken(std::string_view text, const HmacSha256Key& key,
                                              absl::Time now);

// The app string tokens and the CTR model key on: the bundle or domain, cut to kMaxTokenField.
inline std::string_view CtrApp(std::string_view app) { return app.substr(0, kMaxTokenField); }

}  // namespace vetrina::engine
