#include "engine/core/market_rules.h"

#include "absl/strings/ascii.h"
#include "base/strings.h"

namespace vetrina::engine {
namespace {

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

bool IsCurrencyCode(std::string_view code) {
  return code.size() == 3 && absl::ascii_isupper(static_cast<unsigned char>(code[0])) &&
         absl::ascii_isupper(static_cast<unsigned char>(code[1])) &&
         absl::ascii_isupper(static_cast<unsigned char>(code[2]));
}

constexpr int64_t kMaxRateMicros = 1'000'000'000'000;  // a million units per USD

}  // namespace

absl::StatusOr<CurrencyTable> CurrencyTable::Create(std::map<std::string, int64_t> rate_micros) {
  CurrencyTable table;
  for (const auto& [code, rate] : rate_micros) {
    if (!IsCurrencyCode(code)) {
      return absl::InvalidArgumentError(StrCat("currency ", code, ": not an ISO 4217 code"));
    }
    if (rate <= 0 || rate > kMaxRateMicros) {
      return absl::InvalidArgumentError(StrCat("currency ", code, ": rate out of range"));
    }
    if (code == kUsd) {
      if (rate != kMicrosPerUnit) return absl::InvalidArgumentError("USD's rate must be 1");
      continue;
    }
    table.rates_.emplace(code, rate);
  }
  return table;
}

std::optional<int64_t> CurrencyTable::Rate(std::string_view currency) const {
  if (currency == kUsd) return kMicrosPerUnit;
  auto it = rates_.find(std::string(currency));
  if (it == rates_.end()) return std::nullopt;
  return it->second;
}

std::optional<Micros> CurrencyTable::ToUsd(Micros amount, std::string_view currency) const {
  if (currency == kUsd) return amount;
  const std::optional<int64_t> rate = Rate(currency);
  if (!rate) return std::nullopt;
  const __int128 scaled = static_cast<__int128>(amount) * kMicrosPerUnit;
  return static_cast<Micros>((scaled + *rate - 1) / *rate);
}

std::optional<Micros> CurrencyTable::FromUsd(Micros usd, std::string_view currency) const {
  if (currency == kUsd) return usd;
  const std::optional<int64_t> rate = Rate(currency);
  if (!rate) return std::nullopt;
  return static_cast<Micros>(static_cast<__int128>(usd) * *rate / kMicrosPerUnit);
}

Micros MarketRules::PlacementFloor(const Publication& publication, const Imp& imp) const {
  if (placement_floors.empty()) return 0;
  auto app = placement_floors.find(Absl(publication.app()));
  if (app == placement_floors.end()) return 0;
  if (auto tag = app->second.find(Absl(imp.tag_id)); tag != app->second.end()) return tag->second;
  if (auto any = app->second.find(""); any != app->second.end()) return any->second;
  return 0;
}

bool MarketRules::AppBlocked(std::string_view advertiser, std::string_view bundle) const {
  if (blocked_apps.empty() || bundle.empty()) return false;
  auto it = blocked_apps.find(Absl(advertiser));
  return it != blocked_apps.end() && it->second.contains(Absl(bundle));
}

}  // namespace vetrina::engine
