// The notice endpoints' URLs, parsed: /ev/{win,bill,loss,imp,click}?t=TOKEN[&p=PRICE]. `p` is
// the exchange's ${AUCTION_PRICE}: a CPM decimal in the bid's currency, or the macro left
// literal (then we charge our own price). Bytes from the internet: every malformed input is an
// error, never a crash.
//
//   absl::StatusOr<NoticeRequest> n = ParseNoticeRequest("/ev/win", "t=...&p=1.25");
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/core/money.h"
#include "engine/money/notice_book.h"

namespace vetrina::money {

struct NoticeRequest {
  engine::NoticeKind kind = engine::NoticeKind::kWin;
  std::string_view token;               // points into the query
  std::optional<engine::Micros> price;  // nullopt: absent or the macro left literal
};

// NotFound for a path that is no notice; InvalidArgument for a missing token or a bad price.
absl::StatusOr<NoticeRequest> ParseNoticeRequest(std::string_view path, std::string_view query);

// A CPM decimal ("1.25", "0.5", "3") as micros, digits below a micro dropped; nullopt for
// anything else (signs, exponents, absurd sizes).
std::optional<engine::Micros> ParseDecimalMicros(std::string_view text);

}  // namespace vetrina::money
