// The network's marketplace settings as JSON, kept in the data dir and changed through the admin
// API: exchange rates (currencies.json), per-placement floors (floors.json) and each
// advertiser's app blocklist (app_blocklists.json). Every change is validated whole, written
// atomically, then published as a new engine::MarketRules.
//
//   PUT /v1/currencies      {"rates": {"EUR": 0.92, "JPY": 151.3}}        (units per USD)
//   PUT /v1/floors          {"floors": [{"app": "com.example", "tagid": "top", "floor": 0.5}]}
//   PUT /v1/advertisers/{id}/app_blocklist   {"apps": ["com.example.game"]}
//   PUT /v1/apps/child_directed               {"apps": ["com.example.kids"]}  (COPPA registry)
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/core/market_rules.h"

namespace vetrina::money {

// Parsed documents; InvalidArgument names the offending field.
absl::StatusOr<std::map<std::string, int64_t>> ParseCurrencies(std::string_view json);
struct FloorEntry {
  std::string app;
  std::string tagid;  // "" = every placement of the app
  engine::Micros floor = 0;
};
absl::StatusOr<std::vector<FloorEntry>> ParseFloors(std::string_view json);
absl::StatusOr<std::vector<std::string>> ParseAppList(std::string_view json);

class MarketStore;
using MarketStorePtr = std::unique_ptr<MarketStore>;

// Thread-safe.
class MarketStore {
 public:
  using PublishFn = std::function<void(std::shared_ptr<const engine::MarketRules>)>;

  // Reads the settings in `data_dir` (absent files: USD only, no floors, no blocklists).
  static absl::StatusOr<MarketStorePtr> Open(const std::string& data_dir);

  // Called with the new rules after every change (and not for the initial ones: read rules()).
  void OnChange(PublishFn publish);
  std::shared_ptr<const engine::MarketRules> rules() const;

  absl::Status PutCurrencies(std::string_view json);
  absl::Status PutFloors(std::string_view json);
  absl::Status PutAppBlocklist(const std::string& advertiser, std::string_view json);
  absl::Status PutChildDirectedApps(std::string_view json);

  std::string CurrenciesJson() const;
  std::string FloorsJson() const;
  std::string AppBlocklistJson(const std::string& advertiser) const;
  std::string ChildDirectedAppsJson() const;

 private:
  explicit MarketStore(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  absl::Status Save(std::string_view file, const std::string& json)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Rebuild() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string BlocklistsJson() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::string CurrenciesJsonLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::string FloorsJsonLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const std::string data_dir_;
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> rates_ ABSL_GUARDED_BY(mu_);
  std::vector<FloorEntry> floors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> blocklists_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> child_directed_apps_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const engine::MarketRules> rules_ ABSL_GUARDED_BY(mu_);
  PublishFn publish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vetrina::money
