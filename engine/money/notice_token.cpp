#include "engine/money/notice_token.h"

#include <array>

#include "base/base64url.h"
#include "base/wire.h"

namespace vetrina::engine {
namespace {

// Version 3 added the lease; version 2 tokens (issued before) still verify.
constexpr uint8_t kVersion = 3;
constexpr uint8_t kVersionWithoutLease = 2;
constexpr size_t kMacBytes = 16;
constexpr size_t kMaxTokenChars = 2048;

std::string_view Mac(const HmacSha256Key& key, std::string_view payload,
                     std::array<uint8_t, 32>* digest) {
  *digest = key.Sign(payload);
  return {reinterpret_cast<const char*>(digest->data()), kMacBytes};
}

}  // namespace

void WriteNoticeTokenFields(const NoticeToken& token, ByteWriter& w) {
  auto cut = [](const std::string& s) { return std::string_view(s).substr(0, kMaxTokenField); };
  w.Byte(static_cast<uint8_t>(token.scope));
  w.String(cut(token.auction_id));
  w.String(cut(token.bid_id));
  w.String(cut(token.campaign_id));
  w.String(cut(token.creative_id));
  w.String(cut(token.app));
  w.I64(token.bid_price);
  w.String(token.currency);
  w.I64(token.rate_micros);
  w.I64(token.click_price);
  w.U64(token.user);
  w.I64(absl::ToUnixSeconds(token.issued));
  w.I64(absl::ToUnixSeconds(token.expires));
  w.U64(token.lease.node);
  w.U64(token.lease.epoch);
}

bool ReadNoticeTokenFields(ByteReader& r, NoticeToken* token, bool with_lease) {
  NoticeToken& t = *token;
  uint8_t scope = 0;
  std::string_view auction, bid, campaign, creative, app, currency;
  int64_t issued = 0, expires = 0;
  if (!r.Byte(&scope) ||
      (scope != static_cast<uint8_t>(TokenScope::kExchange) &&
       scope != static_cast<uint8_t>(TokenScope::kAd)) ||
      !r.String(&auction, kMaxTokenField) || !r.String(&bid, kMaxTokenField) ||
      !r.String(&campaign, kMaxTokenField) || !r.String(&creative, kMaxTokenField) ||
      !r.String(&app, kMaxTokenField) || !r.I64(&t.bid_price) || !r.String(&currency, 8) ||
      !r.I64(&t.rate_micros) || !r.I64(&t.click_price) || !r.U64(&t.user) || !r.I64(&issued) ||
      !r.I64(&expires) || t.bid_price < 0 || t.rate_micros <= 0 || t.click_price < 0) {
    return false;
  }
  if (with_lease && (!r.U64(&t.lease.node) || !r.U64(&t.lease.epoch) ||
                     (t.lease.node == 0) != (t.lease.epoch == 0))) {
    return false;
  }
  t.scope = static_cast<TokenScope>(scope);
  t.auction_id = auction;
  t.bid_id = bid;
  t.campaign_id = campaign;
  t.creative_id = creative;
  t.app = app;
  t.currency = currency;
  t.issued = absl::FromUnixSeconds(issued);
  t.expires = absl::FromUnixSeconds(expires);
  return true;
}

std::string SignNoticeToken(const NoticeToken& token, const HmacSha256Key& key) {
  ByteWriter w;
  w.Byte(kVersion);
  WriteNoticeTokenFields(token, w);
  Digest digest;
  w.Raw(Mac(key, w.bytes(), &digest));
  std::string out;
  out.reserve(w.bytes().size() * 4 / 3 + 4);
  AppendBase64Url(w.bytes(), &out);
  return out;
}

absl::StatusOr<NoticeToken> VerifyNoticeToken(std::string_view text, const HmacSha256Key& key,
                                              absl::Time now) {
  std::string bytes;
  if (text.size() > kMaxTokenChars || !DecodeBase64Url(text, &bytes) ||
      bytes.size() < kMacBytes + 1) {
    return absl::InvalidArgumentError("malformed token");
  }
  const std::string_view payload(bytes.data(), bytes.size() - kMacBytes);
  Digest digest;
  if (!ConstantTimeEquals(Mac(key, payload, &digest),
                          std::string_view(bytes).substr(payload.size()))) {
    return absl::PermissionDeniedError("bad signature");
  }
  ByteReader r(payload);
  NoticeToken t;
  uint8_t version = 0;
  if (!r.Byte(&version) || (version != kVersion && version != kVersionWithoutLease) ||
      !ReadNoticeTokenFields(r, &t, version == kVersion) || !r.done()) {
    // Signed by us yet unreadable: a token of another version.
    return absl::InvalidArgumentError("malformed token");
  }
  if (now != absl::InfinitePast() && now >= t.expires) {
    return absl::PermissionDeniedError("token expired");
  }
  return t;
}

}  // namespace vetrina::engine
