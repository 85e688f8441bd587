#include "adapters/money/notice_request.h"

namespace vetrina::money {
namespace {

bool IsLiteralMacro(std::string_view p) {
  return p == "${AUCTION_PRICE}" || p == "%24%7BAUCTION_PRICE%7D" || p == "$%7BAUCTION_PRICE%7D";
}

}  // namespace

std::optional<engine::Micros> ParseDecimalMicros(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  engine::Micros units = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    units = units * 10 + (text[i] - '0');
    if (units > static_cast<engine::Micros>(engine::kMaxUnits)) return std::nullopt;
  }
  if (i == 0) return std::nullopt;  // ".5": not a number an exchange sends
  engine::Micros fraction = 0;
  int digits = 0;
  if (i < text.size()) {
    ++i;  // '.'
    if (i == text.size()) return std::nullopt;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      if (digits == 6) continue;  // below a micro: dropped, which only lowers the charge
      fraction = fraction * 10 + (text[i] - '0');
      ++digits;
    }
  }
  for (; digits < 6; ++digits) fraction *= 10;
  return units * engine::kMicrosPerUnit + fraction;
}

absl::StatusOr<NoticeRequest> ParseNoticeRequest(std::string_view path, std::string_view query) {
  NoticeRequest n;
  if (path == "/ev/win") {
    n.kind = engine::NoticeKind::kWin;
  } else if (path == "/ev/bill") {
    n.kind = engine::NoticeKind::kBill;
  } else if (path == "/ev/loss") {
    n.kind = engine::NoticeKind::kLoss;
  } else if (path == "/ev/imp") {
    n.kind = engine::NoticeKind::kImpression;
  } else if (path == "/ev/click") {
    n.kind = engine::NoticeKind::kClick;
  } else {
    return absl::NotFoundError("not found");
  }
  bool have_token = false;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == "t") {
      if (have_token) return absl::InvalidArgumentError("more than one token");
      n.token = value;
      have_token = true;
    } else if (key == "p" &&
               (n.kind == engine::NoticeKind::kWin || n.kind == engine::NoticeKind::kBill)) {
      if (value.empty() || IsLiteralMacro(value)) continue;
      n.price = ParseDecimalMicros(value);
      if (!n.price) return absl::InvalidArgumentError("p: not a price");
    }
    // Other parameters (the loss reason, cache busters) are ignored.
  }
  if (!have_token || n.token.empty()) return absl::InvalidArgumentError("missing token t");
  return n;
}

}  // namespace vetrina::money
