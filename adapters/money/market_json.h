// The network's marketplace settings as JSON, changed through the admin API: exchange rates
// (currencies.json), per-placement floors (floors.json) and each advertiser's app blocklist
// (app_blocklists.json). Every change is validated whole, made durable, then published as a new
// engine::MarketRules. A single node keeps them as files in its data dir, written atomically; a
// fleet keeps them in a shared log (one record per change), which every node follows.
//
//   PUT /v1/currencies      {"rates": {"EUR": 0.92, "JPY": 151.3}}        (units per USD)
//   PUT /v1/floors          {"floors": [{"app": "com.example", "tagid": "top", "floor": 0.5}]}
//   PUT /v1/advertisers/{id}/app_blocklist   {"apps": ["com.example.game"]}
//   PUT /v1/apps/child_directed               {"apps": ["com.example.kids"]}  (COPPA registry)
//   PUT /v1/apps/{app}/app-ads.txt            the app's app-ads.txt, as text
//   PUT /v1/exchanges/{domain}/sellers.json   an advertising system's sellers.json
// The last two are kept as uploaded (app-ads/{app}.txt and sellers/{domain}.json in the data dir)
// and read again on start; their bad lines and entries are skipped and reported (adapters/sellers).
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
#include "adapters/sellers/upload_report.h"
#include "adapters/storage/record_log.h"
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
  // Reads the settings from the shared log `open_log` opens; each change is appended to it.
  static absl::StatusOr<MarketStorePtr> OpenShared(const storage::LogOpener& open_log);
  // Applies the changes other nodes appended to the shared log (OK at once for a data dir);
  // publishes when anything changed.
  absl::Status Follow();

  // Called with the new rules after every change (and not for the initial ones: read rules()).
  void OnChange(PublishFn publish);
  std::shared_ptr<const engine::MarketRules> rules() const;

  absl::Status PutCurrencies(std::string_view json);
  absl::Status PutFloors(std::string_view json);
  absl::Status PutAppBlocklist(const std::string& advertiser, std::string_view json);
  absl::Status PutChildDirectedApps(std::string_view json);
  // InvalidArgument for a key that is not IsValidSellersKey or a document that cannot be read at
  // all; else stores it and fills `report` (may be null) with what it kept and skipped.
  absl::Status PutAppAdsTxt(std::string_view app, std::string_view text,
                            sellers::UploadReport* report);
  absl::Status PutSellersJson(std::string_view domain, std::string_view json,
                              sellers::UploadReport* report);

  std::string CurrenciesJson() const;
  std::string FloorsJson() const;
  std::string AppBlocklistJson(const std::string& advertiser) const;
  std::string ChildDirectedAppsJson() const;
  // {"app"|"domain": key, "accepted", "skipped", "problems"}; NotFound when nothing is uploaded.
  absl::StatusOr<std::string> AppAdsTxtJson(std::string_view app) const;
  absl::StatusOr<std::string> SellersJsonSummary(std::string_view domain) const;

 private:
  explicit MarketStore(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  // Makes one document durable and current: `file` in the data dir, or a record in the shared
  // log (for an app blocklist, `advertiser` names whose). `apply` installs it in memory.
  absl::Status Save(std::string_view file, std::string_view advertiser, const std::string& json,
                    const std::function<void()>& apply) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Installs a shared-log record: a document, validated again (DataLoss when it is not valid).
  absl::Status Replay(std::string_view record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FollowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  // The uploaded app-ads.txt and sellers.json files, parsed, with what their upload reported.
  template <typename Parsed>
  struct SellersUpload {
    std::shared_ptr<const Parsed> parsed;
    sellers::UploadReport report;
  };
  std::map<std::string, SellersUpload<engine::AppAdsTxt>> app_ads_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, SellersUpload<engine::SellersList>> sellers_ ABSL_GUARDED_BY(mu_);
  // Parses and installs one uploaded document (`kind` "app-ads.txt" or "sellers.json").
  absl::Status InstallSellersFile(std::string_view kind, const std::string& key,
                                  std::string_view text, sellers::UploadReport* report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PutSellersFile(std::string_view kind, std::string_view key, std::string_view text,
                              sellers::UploadReport* report);
  absl::StatusOr<std::string> SellersFileJson(std::string_view kind, std::string_view key) const;
  std::shared_ptr<const engine::MarketRules> rules_ ABSL_GUARDED_BY(mu_);
  PublishFn publish_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<storage::RecordLog> log_ ABSL_GUARDED_BY(mu_);  // null: the data dir
};

}  // namespace vetrina::money
