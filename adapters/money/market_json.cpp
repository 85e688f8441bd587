#include "adapters/money/market_json.h"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "adapters/sellers/app_ads_txt.h"
#include "adapters/sellers/sellers_json.h"
#include "adapters/storage/journal.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::money {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr size_t kMaxEntries = 100'000;
constexpr size_t kMaxNameBytes = 256;

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// The document's one field `key` (and "base": "USD", which rate tables may state).
absl::StatusOr<object> Root(simdjson::dom::parser& parser, std::string_view json,
                            std::string_view key, element* value) {
  element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return Invalid("invalid JSON");
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return Invalid("must be an object");
  for (auto field : obj) {
    if (field.key == key) continue;
    std::string_view base;
    if (key == "rates" && field.key == "base") {
      if (field.value.get_string().get(base) != simdjson::SUCCESS || base != "USD") {
        return Invalid("/base: must be USD");
      }
      continue;
    }
    return Invalid(StrCat("/", View({field.key.data(), field.key.size()}), ": unknown field"));
  }
  if (obj[key].get(*value) != simdjson::SUCCESS) return Invalid(StrCat("/", key, ": required"));
  return obj;
}

// The data dir's folder of uploaded files of `kind`, and the extension each file there has.
constexpr std::string_view kAppAdsKind = "app-ads.txt";
constexpr std::string_view kSellersKind = "sellers.json";
std::string_view SellersFolder(std::string_view kind) {
  return kind == kAppAdsKind ? "app-ads" : "sellers";
}
std::string_view SellersExtension(std::string_view kind) {
  return kind == kAppAdsKind ? ".txt" : ".json";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::map<std::string, int64_t>> ParseCurrencies(std::string_view json) {
  simdjson::dom::parser parser;
  element rates;
  VETRINA_RETURN_IF_ERROR(Root(parser, json, "rates", &rates).status());
  object obj;
  if (rates.get_object().get(obj) != simdjson::SUCCESS) return Invalid("/rates: must be an object");
  std::map<std::string, int64_t> out;
  for (auto field : obj) {
    const std::string code(field.key);
    double units;
    if (field.value.get_double().get(units) != simdjson::SUCCESS) {
      return Invalid(StrCat("/rates/", code, ": must be a number"));
    }
    std::optional<engine::Micros> micros = engine::MicrosFromUnits(units);
    if (!micros || *micros <= 0) return Invalid(StrCat("/rates/", code, ": must be > 0"));
    out[code] = *micros;
  }
  if (out.size() > kMaxEntries) return Invalid("/rates: too many currencies");
  // The table's own checks (codes, USD = 1) with the field named.
  absl::StatusOr<engine::CurrencyTable> table = engine::CurrencyTable::Create(out);
  if (!table.ok()) return Invalid(StrCat("/rates: ", View(table.status().message())));
  return out;
}

absl::StatusOr<std::vector<FloorEntry>> ParseFloors(std::string_view json) {
  simdjson::dom::parser parser;
  element floors;
  VETRINA_RETURN_IF_ERROR(Root(parser, json, "floors", &floors).status());
  array list;
  if (floors.get_array().get(list) != simdjson::SUCCESS)
    return Invalid("/floors: must be an array");
  std::vector<FloorEntry> out;
  size_t i = 0;
  for (element item : list) {
    const std::string at = StrCat("/floors/", i++);
    object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) return Invalid(at + ": must be an object");
    FloorEntry entry;
    for (auto field : obj) {
      if (field.key == "app" || field.key == "tagid") {
        std::string_view s;
        if (field.value.get_string().get(s) != simdjson::SUCCESS || s.size() > kMaxNameBytes ||
            (field.key == "app" && s.empty())) {
          return Invalid(StrCat(at, "/", View({field.key.data(), field.key.size()}),
                                ": must be a string of 1 to 256 bytes"));
        }
        (field.key == "app" ? entry.app : entry.tagid) = std::string(s);
      } else if (field.key == "floor") {
        double units;
        std::optional<engine::Micros> micros;
        if (field.value.get_double().get(units) != simdjson::SUCCESS ||
            !(micros = engine::MicrosFromUnits(units))) {
          return Invalid(at + "/floor: must be a number >= 0");
        }
        entry.floor = *micros;
      } else {
        return Invalid(
            StrCat(at, "/", View({field.key.data(), field.key.size()}), ": unknown field"));
      }
    }
    if (entry.app.empty()) return Invalid(at + "/app: required");
    out.push_back(std::move(entry));
    if (out.size() > kMaxEntries) return Invalid("/floors: too many entries");
  }
  return out;
}

namespace {

absl::StatusOr<std::vector<std::string>> ParseAppArray(element apps) {
  array list;
  if (apps.get_array().get(list) != simdjson::SUCCESS) return Invalid("/apps: must be an array");
  std::vector<std::string> out;
  size_t i = 0;
  for (element item : list) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > kMaxNameBytes) {
      return Invalid(StrCat("/apps/", i, ": must be a string of 1 to 256 bytes"));
    }
    out.emplace_back(s);
    if (++i > kMaxEntries) return Invalid("/apps: too many entries");
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// {"apps": [...]}
std::string AppsJson(const std::vector<std::string>& apps) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("apps");
  w.BeginArray();
  for (const std::string& app : apps) w.String(app);
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseAppList(std::string_view json) {
  simdjson::dom::parser parser;
  element apps;
  VETRINA_RETURN_IF_ERROR(Root(parser, json, "apps", &apps).status());
  return ParseAppArray(apps);
}

absl::StatusOr<MarketStorePtr> MarketStore::Open(const std::string& data_dir) {
  MarketStorePtr store(new MarketStore(data_dir));
  absl::MutexLock lock(&store->mu_);
  if (absl::StatusOr<std::string> text = ReadFile(data_dir + "/currencies.json"); text.ok()) {
    absl::StatusOr<std::map<std::string, int64_t>> rates = ParseCurrencies(*text);
    if (!rates.ok())
      return absl::DataLossError(StrCat("currencies.json", View(rates.status().message())));
    store->rates_ = *std::move(rates);
  }
  if (absl::StatusOr<std::string> text = ReadFile(data_dir + "/floors.json"); text.ok()) {
    absl::StatusOr<std::vector<FloorEntry>> floors = ParseFloors(*text);
    if (!floors.ok())
      return absl::DataLossError(StrCat("floors.json", View(floors.status().message())));
    store->floors_ = *std::move(floors);
  }
  if (absl::StatusOr<std::string> text = ReadFile(data_dir + "/app_blocklists.json"); text.ok()) {
    simdjson::dom::parser parser;
    object obj;
    if (parser.parse(text->data(), text->size()).get_object().get(obj) != simdjson::SUCCESS) {
      return absl::DataLossError("app_blocklists.json: not a JSON object");
    }
    for (auto field : obj) {
      absl::StatusOr<std::vector<std::string>> apps = ParseAppArray(field.value);
      if (!apps.ok()) return absl::DataLossError("app_blocklists.json: bad entry");
      store->blocklists_[std::string(field.key)] = *std::move(apps);
    }
  }
  if (absl::StatusOr<std::string> text = ReadFile(data_dir + "/child_directed_apps.json");
      text.ok()) {
    absl::StatusOr<std::vector<std::string>> apps = ParseAppList(*text);
    if (!apps.ok()) return absl::DataLossError("child_directed_apps.json: bad entry");
    store->child_directed_apps_ = *std::move(apps);
  }
  for (std::string_view kind : {kAppAdsKind, kSellersKind}) {
    const std::filesystem::path folder = std::filesystem::path(data_dir) / SellersFolder(kind);
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(SellersExtension(kind))) continue;  // e.g. an interrupted write's .tmp
      const std::string key = name.substr(0, name.size() - SellersExtension(kind).size());
      absl::StatusOr<std::string> text = ReadFile(entry.path().string());
      if (!text.ok()) return text.status();
      if (absl::Status s = store->InstallSellersFile(kind, key, *text, nullptr); !s.ok()) {
        return absl::DataLossError(StrCat(SellersFolder(kind), "/", name, ": ", View(s.message())));
      }
    }
  }
  store->Rebuild();
  return store;
}

void MarketStore::Rebuild() {
  auto rules = std::make_shared<engine::MarketRules>();
  rules->currencies = *engine::CurrencyTable::Create(rates_);  // validated on the way in
  for (const FloorEntry& f : floors_) rules->placement_floors[f.app][f.tagid] = f.floor;
  for (const auto& [advertiser, apps] : blocklists_) {
    if (!apps.empty()) rules->blocked_apps[advertiser].insert(apps.begin(), apps.end());
  }
  rules->child_directed_apps.insert(child_directed_apps_.begin(), child_directed_apps_.end());
  for (const auto& [app, upload] : app_ads_) rules->authorised_sellers.app_ads[app] = upload.parsed;
  for (const auto& [domain, upload] : sellers_) {
    rules->authorised_sellers.sellers[domain] = upload.parsed;
  }
  rules_ = std::move(rules);
  if (publish_) publish_(rules_);
}

// A shared-log record: "FILE\nJSON", or "app_blocklists.json\nADVERTISER\nJSON" for one
// advertiser's list (so changes to different advertisers' lists on different nodes both stay).
absl::Status MarketStore::Save(std::string_view file, std::string_view advertiser,
                               const std::string& json, const std::function<void()>& apply) {
  if (log_ == nullptr) {
    VETRINA_RETURN_IF_ERROR(storage::WriteFileAtomically(StrCat(data_dir_, "/", file), json, 0644));
    apply();
    Rebuild();
    return absl::OkStatus();
  }
  std::string record = StrCat(file, "\n");
  if (!advertiser.empty()) StrAppend(&record, advertiser, "\n");
  record.append(json);
  VETRINA_RETURN_IF_ERROR(log_->Append(record));
  if (!log_->echoes_appends()) {
    VETRINA_RETURN_IF_ERROR(Replay(record));
    Rebuild();
  }
  // A shared log's own appends come back here, in the order every node applies them.
  return FollowLocked();
}

absl::Status MarketStore::Replay(std::string_view record) {
  const size_t newline = record.find('\n');
  if (newline == std::string_view::npos) return absl::DataLossError("market record: no name");
  const std::string_view file = record.substr(0, newline);
  std::string_view json = record.substr(newline + 1);
  auto damaged = [file](const absl::Status& s) {
    return absl::DataLossError(StrCat("market record ", file, ": ", View(s.message())));
  };
  if (file == "currencies.json") {
    absl::StatusOr<std::map<std::string, int64_t>> rates = ParseCurrencies(json);
    if (!rates.ok()) return damaged(rates.status());
    rates_ = *std::move(rates);
  } else if (file == "floors.json") {
    absl::StatusOr<std::vector<FloorEntry>> floors = ParseFloors(json);
    if (!floors.ok()) return damaged(floors.status());
    floors_ = *std::move(floors);
  } else if (file == "child_directed_apps.json") {
    absl::StatusOr<std::vector<std::string>> apps = ParseAppList(json);
    if (!apps.ok()) return damaged(apps.status());
    child_directed_apps_ = *std::move(apps);
  } else if (file == kAppAdsKind || file == kSellersKind) {
    const size_t end = json.find('\n');
    if (end == std::string_view::npos) return damaged(absl::InvalidArgumentError("no key"));
    absl::Status s =
        InstallSellersFile(file, std::string(json.substr(0, end)), json.substr(end + 1), nullptr);
    if (!s.ok()) return damaged(s);
  } else if (file == "app_blocklists.json") {
    const size_t end = json.find('\n');
    if (end == std::string_view::npos) return damaged(absl::InvalidArgumentError("no advertiser"));
    const std::string advertiser(json.substr(0, end));
    absl::StatusOr<std::vector<std::string>> apps = ParseAppList(json.substr(end + 1));
    if (!apps.ok()) return damaged(apps.status());
    blocklists_[advertiser] = *std::move(apps);
  } else {
    return damaged(absl::InvalidArgumentError("unknown document"));
  }
  return absl::OkStatus();
}

void MarketStore::Clear() {
  rates_.clear();
  floors_.clear();
  blocklists_.clear();
  child_directed_apps_.clear();
  app_ads_.clear();
  sellers_.clear();
}

absl::Status MarketStore::FollowLocked() {
  if (log_ == nullptr) return absl::OkStatus();
  bool changed = false;
  auto replay = [this, &changed](std::string_view record) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    changed = true;
    return Replay(record);
  };
  absl::Status s = log_->Follow(replay);
  if (absl::IsOutOfRange(s)) {  // compacted past what we read: start over
    Clear();
    changed = true;
    s = log_->Reload(replay);
  }
  if (changed) Rebuild();
  return s;
}

absl::Status MarketStore::Follow() {
  absl::MutexLock lock(&mu_);
  return FollowLocked();
}

absl::StatusOr<MarketStorePtr> MarketStore::OpenShared(const storage::LogOpener& open_log) {
  MarketStorePtr store(new MarketStore(""));
  absl::MutexLock lock(&store->mu_);
  MarketStore* raw = store.get();
  VETRINA_ASSIGN_OR_RETURN(
      store->log_, open_log([raw](std::string_view record)
                                ABSL_NO_THREAD_SAFETY_ANALYSIS { return raw->Replay(record); }));
  store->Rebuild();
  return store;
}

void MarketStore::OnChange(PublishFn publish) {
  absl::MutexLock lock(&mu_);
  publish_ = std::move(publish);
}

std::shared_ptr<const engine::MarketRules> MarketStore::rules() const {
  absl::MutexLock lock(&mu_);
  return rules_;
}

absl::Status MarketStore::PutCurrencies(std::string_view json) {
  absl::StatusOr<std::map<std::string, int64_t>> rates = ParseCurrencies(json);
  if (!rates.ok()) return rates.status();
  absl::MutexLock lock(&mu_);
  std::swap(rates_, *rates);
  const std::string stored = CurrenciesJsonLocked();
  std::swap(rates_, *rates);
  return Save("currencies.json", "", stored, [&] { rates_ = *std::move(rates); });
}

absl::Status MarketStore::PutFloors(std::string_view json) {
  absl::StatusOr<std::vector<FloorEntry>> floors = ParseFloors(json);
  if (!floors.ok()) return floors.status();
  absl::MutexLock lock(&mu_);
  std::swap(floors_, *floors);
  const std::string stored = FloorsJsonLocked();
  std::swap(floors_, *floors);
  return Save("floors.json", "", stored, [&] { floors_ = *std::move(floors); });
}

absl::Status MarketStore::PutAppBlocklist(const std::string& advertiser, std::string_view json) {
  absl::StatusOr<std::vector<std::string>> apps = ParseAppList(json);
  if (!apps.ok()) return apps.status();
  absl::MutexLock lock(&mu_);
  if (log_ != nullptr) {
    return Save("app_blocklists.json", advertiser, AppsJson(*apps), [] {});
  }
  std::vector<std::string>& entry = blocklists_[advertiser];
  std::swap(entry, *apps);
  const std::string stored = BlocklistsJson();
  std::swap(entry, *apps);
  return Save("app_blocklists.json", "", stored,
              [&] { blocklists_[advertiser] = *std::move(apps); });
}

absl::Status MarketStore::PutChildDirectedApps(std::string_view json) {
  absl::StatusOr<std::vector<std::string>> apps = ParseAppList(json);
  if (!apps.ok()) return apps.status();
  absl::MutexLock lock(&mu_);
  const std::string stored = AppsJson(*apps);
  return Save("child_directed_apps.json", "", stored,
              [&] { child_directed_apps_ = *std::move(apps); });
}

absl::Status MarketStore::InstallSellersFile(std::string_view kind, const std::string& key,
                                             std::string_view text, sellers::UploadReport* report) {
  if (!sellers::IsValidSellersKey(key)) return Invalid("not a valid app or domain name");
  sellers::UploadReport local;
  if (kind == kAppAdsKind) {
    absl::StatusOr<engine::AppAdsTxt> file = sellers::ParseAppAdsTxt(text, &local);
    if (!file.ok()) return file.status();
    app_ads_[key] = {std::make_shared<const engine::AppAdsTxt>(*std::move(file)), local};
  } else {
    absl::StatusOr<engine::SellersList> list = sellers::ParseSellersJson(text, &local);
    if (!list.ok()) return list.status();
    sellers_[key] = {std::make_shared<const engine::SellersList>(*std::move(list)), local};
  }
  if (report != nullptr) *report = std::move(local);
  return absl::OkStatus();
}

absl::Status MarketStore::PutSellersFile(std::string_view kind, std::string_view key_in,
                                         std::string_view text, sellers::UploadReport* report) {
  // Advertising systems are domains, matched case-insensitively; app keys are kept as given.
  std::string key(key_in);
  if (kind == kSellersKind) absl::AsciiStrToLower(&key);
  if (!sellers::IsValidSellersKey(key)) {
    return Invalid(kind == kAppAdsKind ? "app: must be 1 to 255 of [A-Za-z0-9._-]"
                                       : "domain: must be 1 to 255 of [A-Za-z0-9._-]");
  }
  // Validated before anything is written: a document that cannot be read changes nothing.
  if (kind == kAppAdsKind) {
    VETRINA_RETURN_IF_ERROR(sellers::ParseAppAdsTxt(text, nullptr).status());
  } else {
    VETRINA_RETURN_IF_ERROR(sellers::ParseSellersJson(text, nullptr).status());
  }
  absl::MutexLock lock(&mu_);
  if (log_ != nullptr) {
    VETRINA_RETURN_IF_ERROR(Save(kind, key, std::string(text), [] {}));
  } else {
    const std::string folder = StrCat(data_dir_, "/", SellersFolder(kind));
    std::error_code error;
    if (std::filesystem::create_directory(folder, error)) {
      VETRINA_RETURN_IF_ERROR(storage::SyncParentDirectory(folder));
    } else if (error) {
      return absl::InternalError(StrCat("create ", folder, ": ", error.message()));
    }
    VETRINA_RETURN_IF_ERROR(
        storage::WriteFileAtomically(StrCat(folder, "/", key, SellersExtension(kind)), text, 0644));
    VETRINA_RETURN_IF_ERROR(InstallSellersFile(kind, key, text, nullptr));
    Rebuild();
  }
  if (report != nullptr) {
    *report = kind == kAppAdsKind ? app_ads_.at(key).report : sellers_.at(key).report;
  }
  return absl::OkStatus();
}

absl::Status MarketStore::PutAppAdsTxt(std::string_view app, std::string_view text,
                                       sellers::UploadReport* report) {
  return PutSellersFile(kAppAdsKind, app, text, report);
}

absl::Status MarketStore::PutSellersJson(std::string_view domain, std::string_view json,
                                         sellers::UploadReport* report) {
  return PutSellersFile(kSellersKind, domain, json, report);
}

absl::StatusOr<std::string> MarketStore::SellersFileJson(std::string_view kind,
                                                         std::string_view key_in) const {
  std::string key(key_in);
  if (kind == kSellersKind) absl::AsciiStrToLower(&key);
  absl::MutexLock lock(&mu_);
  const sellers::UploadReport* report = nullptr;
  if (kind == kAppAdsKind) {
    if (auto it = app_ads_.find(key); it != app_ads_.end()) report = &it->second.report;
  } else if (auto it = sellers_.find(key); it != sellers_.end()) {
    report = &it->second.report;
  }
  if (report == nullptr) return absl::NotFoundError(StrCat("no ", kind, " uploaded for ", key));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key(kind == kAppAdsKind ? "app" : "domain");
  w.String(key);
  report->WriteMembers(w);
  w.EndObject();
  return out;
}

absl::StatusOr<std::string> MarketStore::AppAdsTxtJson(std::string_view app) const {
  return SellersFileJson(kAppAdsKind, app);
}

absl::StatusOr<std::string> MarketStore::SellersJsonSummary(std::string_view domain) const {
  return SellersFileJson(kSellersKind, domain);
}

std::string MarketStore::ChildDirectedAppsJson() const {
  absl::MutexLock lock(&mu_);
  return AppsJson(child_directed_apps_);
}

std::string MarketStore::CurrenciesJsonLocked() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("base");
  w.String("USD");
  w.Key("rates");
  w.BeginObject();
  for (const auto& [code, rate] : rates_) {
    w.Key(code);
    w.Price(rate);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

std::string MarketStore::FloorsJsonLocked() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("floors");
  w.BeginArray();
  for (const FloorEntry& f : floors_) {
    w.BeginObject();
    w.Key("app");
    w.String(f.app);
    if (!f.tagid.empty()) {
      w.Key("tagid");
      w.String(f.tagid);
    }
    w.Key("floor");
    w.Price(f.floor);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

std::string MarketStore::BlocklistsJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [advertiser, apps] : blocklists_) {
    w.Key(advertiser);
    w.BeginArray();
    for (const std::string& app : apps) w.String(app);
    w.EndArray();
  }
  w.EndObject();
  return out;
}

std::string MarketStore::CurrenciesJson() const {
  absl::MutexLock lock(&mu_);
  return CurrenciesJsonLocked();
}

std::string MarketStore::FloorsJson() const {
  absl::MutexLock lock(&mu_);
  return FloorsJsonLocked();
}

std::string MarketStore::AppBlocklistJson(const std::string& advertiser) const {
  absl::MutexLock lock(&mu_);
  auto it = blocklists_.find(advertiser);
  return AppsJson(it == blocklists_.end() ? std::vector<std::string>() : it->second);
}

}  // namespace vetrina::money
