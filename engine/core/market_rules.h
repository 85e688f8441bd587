// The network's marketplace settings, published to the bid path as one immutable snapshot:
// exchange rates, the floors it sets per placement, and the apps each advertiser refuses.
//
//   absl::StatusOr<CurrencyTable> rates = CurrencyTable::Create({{"EUR", 920'000}});
//   std::optional<Micros> usd = rates->ToUsd(1'500'000, "EUR");  // 1.50 EUR in USD micros
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/core/authorised_sellers.h"
#include "engine/core/bid_request.h"
#include "engine/core/money.h"

namespace vetrina::engine {

inline constexpr std::string_view kUsd = "USD";

// Exchange rates against USD. A rate is how many micro-units of the currency one USD buys
// (EUR at 0.92 is 920'000). Conversions are integer and round against us: an amount we must
// reach (a floor) rounds up into USD; a price we send rounds down out of it.
class CurrencyTable {
 public:
  // USD alone.
  CurrencyTable() = default;
  // InvalidArgument for a code that is not three upper-case letters, a USD rate other than
  // 1'000'000, or a rate outside (0, 1e12].
  static absl::StatusOr<CurrencyTable> Create(std::map<std::string, int64_t> rate_micros);

  std::optional<int64_t> Rate(std::string_view currency) const;
  // `amount` of `currency` in USD micros, rounded up; nullopt without a rate.
  std::optional<Micros> ToUsd(Micros amount, std::string_view currency) const;
  // `usd` micros in `currency`, rounded down; nullopt without a rate.
  std::optional<Micros> FromUsd(Micros usd, std::string_view currency) const;
  // Every rate but USD's, by code.
  const std::map<std::string, int64_t>& rates() const { return rates_; }

 private:
  std::map<std::string, int64_t> rates_;
};

struct MarketRules {
  CurrencyTable currencies;
  // Floors the network sets, in USD CPM micros: by app bundle (or site domain), then by the
  // imp's tagid; the tagid "" applies to every placement of the app without its own entry.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Micros>> placement_floors;
  // Apps each advertiser refuses: by advertiser id, the app bundles.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> blocked_apps;
  // Apps the network knows to be directed at children (COPPA): contextual ads only.
  absl::flat_hash_set<std::string> child_directed_apps;
  // The uploaded app-ads.txt and sellers.json files that authorise supply chains.
  AuthorisedSellers authorised_sellers;

  // The network's floor for `imp` of `publication`, USD CPM micros; 0 when none is set.
  Micros PlacementFloor(const Publication& publication, const Imp& imp) const;
  bool AppBlocked(std::string_view advertiser, std::string_view bundle) const;
};

}  // namespace vetrina::engine
