#include "adapters/admin/catalog.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "adapters/campaigns/audience_json.h"
#include "adapters/campaigns/campaign_json.h"
#include "base/hex.h"
#include "base/ids.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::admin {
namespace {

constexpr char kJournalFile[] = "catalog.journal";
constexpr char kAdminTokenFile[] = "admin.token";
constexpr size_t kCampaignsPerCompactedRecord = 1000;
constexpr size_t kMaxChangeLog = 100'000;
// Conditional appends tried before a write gives up with Unavailable (other nodes kept winning).
constexpr int kAppendAttempts = 8;

std::string HexBytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    hex.push_back(kDigits[u >> 4]);
    hex.push_back(kDigits[u & 0xf]);
  }
  return hex;
}

std::string NewToken(const RandomBytes& random) { return "vt_" + HexBytes(random(32)); }

std::string TokenHash(std::string_view token) { return vetrina::ToHex(vetrina::Sha256(token)); }

std::string AdvertiserRecord(std::string_view id, std::string_view token_hash) {
  std::string r = "{\"op\":\"advertiser\",\"id\":\"";
  AppendJsonEscaped(id, &r);
  StrAppend(&r, "\",\"token_sha256\":\"", token_hash, "\"}");
  return r;
}

std::string PutRecord(const std::vector<const CampaignEntry*>& entries) {
  std::string r = "{\"op\":\"put\",\"campaigns\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) r.push_back(',');
    r.append(entries[i]->json);  // validated JSON, spliced in as a value
  }
  r.append("]}");
  return r;
}

std::string AudienceRecord(const engine::Audience& a, std::string_view json) {
  std::string r = "{\"op\":\"audience\",\"id\":\"";
  AppendJsonEscaped(a.id, &r);
  r.append("\",\"advertiser\":\"");
  AppendJsonEscaped(a.advertiser, &r);
  StrAppend(&r, "\",\"segment\":", a.segment, ",\"definition\":", json, "}");
  return r;
}

// The admin token's hash, kept in a shared log (single nodes keep the token in a file).
std::string AdminTokenRecord(std::string_view token_hash) {
  return StrCat("{\"op\":\"admin_token\",\"token_sha256\":\"", token_hash, "\"}");
}

std::optional<vetrina::Digest> DigestFromHex(std::string_view hex) {
  std::optional<std::string> bytes = vetrina::HexToBytes(hex);
  vetrina::Digest digest{};
  if (!bytes || bytes->size() != digest.size()) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), digest.begin());
  return digest;
}

std::string DeleteRecord(std::string_view id) {
  std::string r = "{\"op\":\"delete\",\"id\":\"";
  AppendJsonEscaped(id, &r);
  r.append("\"}");
  return r;
}

absl::StatusOr<std::string> ReadOrCreateAdminToken(const std::string& path,
                                                   const RandomBytes& random, bool* created) {
  *created = false;
  std::ifstream in(path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string token(absl::StripAsciiWhitespace(text.str()));
    if (token.empty()) return absl::FailedPreconditionError(StrCat(path, " is empty"));
    return token;
  }
  const std::string token = NewToken(random);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(StrCat("create ", path, ": ", std::strerror(errno)));
  const std::string line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::InternalError(StrCat("write ", path, ": ", std::strerror(errno)));
  VETRINA_RETURN_IF_ERROR(storage::SyncParentDirectory(path));
  *created = true;
  return token;
}

}  // namespace

std::string SystemRandomBytes(size_t n) {
  std::string bytes(n, '\0');
  size_t filled = 0;
  while (filled < n) {
    ssize_t got = ::getrandom(bytes.data() + filled, n - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no entropy source: never hand out a guessable token
    }
    filled += static_cast<size_t>(got);
  }
  return bytes;
}

absl::StatusOr<CatalogPtr> Catalog::Open(const std::string& data_dir, std::string* new_admin_token,
                                         RandomBytes random, storage::SyncObserver on_sync) {
  CatalogPtr catalog(new Catalog(std::move(random)));
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return absl::InternalError(StrCat("create ", data_dir, ": ", ec.message()));

  bool created = false;
  VETRINA_ASSIGN_OR_RETURN(
      const std::string admin_token,
      ReadOrCreateAdminToken(data_dir + "/" + kAdminTokenFile, catalog->random_, &created));
  *new_admin_token = created ? admin_token : "";

  const std::string journal_path = data_dir + "/" + kJournalFile;
  catalog->fresh_ = !std::filesystem::exists(journal_path);
  absl::MutexLock lock(&catalog->mu_);
  catalog->admin_token_hash_ = vetrina::Sha256(admin_token);
  storage::JournalStats stats;
  VETRINA_ASSIGN_OR_RETURN(catalog->log_, storage::Journal::Open(journal_path, catalog->Replayer(),
                                                                 &stats, std::move(on_sync)));
  // The change log starts after the replay.
  catalog->changes_.clear();
  catalog->changes_from_ = catalog->version_;
  catalog->RebuildRegistry();
  // Compact when the journal holds far more records than live state.
  const size_t live = catalog->campaigns_.size() / kCampaignsPerCompactedRecord + 1 +
                      catalog->token_hash_by_advertiser_.size();
  catalog->live_bytes_ = catalog->log_->size_bytes();
  if (stats.records > 2 * live + 64) VETRINA_RETURN_IF_ERROR(catalog->Compact());
  return catalog;
}

absl::StatusOr<CatalogPtr> Catalog::OpenShared(const LogOpener& open_log,
                                               std::string* new_admin_token, RandomBytes random) {
  CatalogPtr catalog(new Catalog(std::move(random)));
  absl::MutexLock lock(&catalog->mu_);
  catalog->shared_log_ = true;
  VETRINA_ASSIGN_OR_RETURN(catalog->log_, open_log(catalog->Replayer()));
  if (catalog->log_->echoes_appends()) {
    return absl::InvalidArgumentError(
        "the catalog applies its own appends: its shared log must not echo them");
  }
  catalog->changes_.clear();
  catalog->changes_from_ = catalog->version_;
  catalog->RebuildRegistry();
  catalog->live_bytes_ = catalog->log_->size_bytes();
  VETRINA_RETURN_IF_ERROR(catalog->EnsureSharedAdminToken(new_admin_token));
  catalog->fresh_ = !new_admin_token->empty();
  return catalog;
}

storage::RecordLog::ReplayFn Catalog::Replayer() {
  return [this](std::string_view record) ABSL_NO_THREAD_SAFETY_ANALYSIS { return Replay(record); };
}

absl::Status Catalog::EnsureSharedAdminToken(std::string* new_admin_token) {
  std::string token;
  absl::Status s =
      AppendChecked([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<std::string> {
        if (admin_token_hash_ != vetrina::Digest{}) {
          return absl::AlreadyExistsError("the fleet has an admin token");
        }
        token = NewToken(random_);
        return AdminTokenRecord(TokenHash(token));
      });
  if (absl::IsAlreadyExists(s)) {
    new_admin_token->clear();
    return absl::OkStatus();
  }
  if (!s.ok() && !token.empty() && FollowLocked().ok() &&
      admin_token_hash_ == vetrina::Sha256(token)) {
    // The append's answer was lost but the record landed: this node created the token, and
    // must show it, or nobody ever could.
    s = absl::OkStatus();
  }
  VETRINA_RETURN_IF_ERROR(s);
  admin_token_hash_ = vetrina::Sha256(token);
  ++version_;
  *new_admin_token = token;
  return absl::OkStatus();
}

absl::Status Catalog::AppendChecked(
    const std::function<absl::StatusOr<std::string>()>& check_and_encode) {
  bool followed = !shared_log_;
  for (int attempt = 0; attempt < kAppendAttempts; ++attempt) {
    absl::StatusOr<std::string> record = check_and_encode();
    if (record.ok()) {
      absl::Status s = log_->Append(*record);
      if (!absl::IsAborted(s)) return s;
    } else if (followed) {
      return record.status();
    }
    // A refusal may come from a state other nodes have changed since: it stands only once
    // checked against the latest.
    VETRINA_RETURN_IF_ERROR(FollowLocked());
    followed = true;
  }
  return absl::UnavailableError("the catalog is busy: other nodes kept changing it first");
}

absl::Status Catalog::CompactNow() {
  absl::MutexLock lock(&mu_);
  return Compact();
}

absl::Status Catalog::Follow() {
  absl::MutexLock lock(&mu_);
  return FollowLocked();
}

absl::Status Catalog::FollowLocked() {
  absl::Status s = log_->Follow(Replayer());
  if (absl::IsOutOfRange(s)) return ReloadLocked();
  return s;
}

void Catalog::ClearLocked() {
  campaigns_.clear();
  held_.clear();
  advertiser_by_token_hash_.clear();
  token_hash_by_advertiser_.clear();
  audiences_.clear();
  next_segment_ = 1;
  if (shared_log_) admin_token_hash_ = {};
  version_ = 0;
}

absl::Status Catalog::ReloadLocked() {
  const uint64_t old_version = version_;
  // Cleared at the first record, so a log that cannot be read leaves the catalog as it was.
  bool cleared = false;
  absl::Status s = log_->Reload([&](std::string_view record) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!cleared) {
      ClearLocked();
      cleared = true;
    }
    return Replay(record);
  });
  if (s.ok() && !cleared) ClearLocked();
  if (!s.ok() && !cleared) return s;
  // Versions never go back, and everything counts as changed: the change log starts afresh, so
  // ChangesSince answers false and the publisher rebuilds.
  version_ = std::max(version_, old_version + 1);
  changes_.clear();
  changes_from_ = version_;
  RebuildRegistry();
  live_bytes_ = log_->size_bytes();
  return s;
}

absl::Status Catalog::Replay(std::string_view record) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(record.data(), record.size()).get(doc)) {
    return absl::DataLossError(StrCat("unreadable record: ", simdjson::error_message(e)));
  }
  std::string_view op;
  if (doc["op"].get(op) != simdjson::SUCCESS) return absl::DataLossError("record without op");
  std::vector<std::string> changed;  // campaign ids
  if (op == "admin_token") {
    std::string_view hex;
    std::optional<vetrina::Digest> digest;
    if (doc["token_sha256"].get(hex) || !(digest = DigestFromHex(hex))) {
      return absl::DataLossError("bad admin token record");
    }
    admin_token_hash_ = *digest;
  } else if (op == "advertiser") {
    std::string_view id, hash;
    if (doc["id"].get(id) || doc["token_sha256"].get(hash)) {
      return absl::DataLossError("bad advertiser record");
    }
    advertiser_by_token_hash_[std::string(hash)] = std::string(id);
    token_hash_by_advertiser_[std::string(id)] = std::string(hash);
    RebuildRegistry();
  } else if (op == "put") {
    simdjson::dom::array array;
    if (doc["campaigns"].get(array)) return absl::DataLossError("bad put record");
    for (simdjson::dom::element element : array) {
      std::string json = simdjson::minify(element);
      absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(json);
      if (!campaign.ok()) {
        // Stored under older, looser checks: kept as stored, and paused, so nothing acknowledged
        // is lost and nothing that fails today's checks is served.
        std::string_view id, advertiser;
        if (element["id"].get(id) || element["advertiser"].get(advertiser)) {
          return absl::DataLossError("bad campaign in a put record");
        }
        held_[std::string(id)] = std::string(View(campaign.status().message()));
        engine::Campaign paused;
        paused.id = id;
        paused.advertiser = advertiser;
        paused.status = engine::CampaignStatus::kPaused;
        campaign = std::move(paused);
      } else {
        held_.erase(campaign->id);
      }
      const std::string id = campaign->id;
      campaigns_[id] = CampaignEntry{std::make_shared<const engine::Campaign>(*std::move(campaign)),
                                     std::move(json)};
      changed.push_back(id);
    }
  } else if (op == "audience") {
    std::string_view id, advertiser;
    int64_t segment = 0;
    simdjson::dom::element definition;
    if (doc["id"].get(id) || doc["advertiser"].get(advertiser) || doc["segment"].get(segment) ||
        doc["definition"].get(definition) || segment <= 0 || segment > engine::kMaxSegmentId) {
      return absl::DataLossError("bad audience record");
    }
    std::string json = simdjson::minify(definition);
    absl::StatusOr<engine::Audience> audience =
        campaigns::ParseAudience(json, std::string(id), std::string(advertiser));
    if (!audience.ok()) {
      return absl::DataLossError(
          StrCat("stored audience no longer valid: ", View(audience.status().message())));
    }
    audience->segment = static_cast<engine::SegmentId>(segment);
    next_segment_ = std::max(next_segment_, audience->segment + 1);
    const std::string name = audience->QualifiedName();  // before the move below
    audiences_[name] = StoredAudience{*std::move(audience), std::move(json)};
    RebuildRegistry();
  } else if (op == "delete") {
    std::string_view id;
    if (doc["id"].get(id)) return absl::DataLossError("bad delete record");
    campaigns_.erase(std::string(id));
    held_.erase(std::string(id));
    changed.emplace_back(id);
  } else if (op == "version") {
    uint64_t version = 0;
    if (doc["version"].get(version)) return absl::DataLossError("bad version record");
    version_ = version;
    return absl::OkStatus();  // restores the count, is no change of its own
  } else {
    return absl::DataLossError(StrCat("unknown op ", op));
  }
  ++version_;
  // Records another node appended are published like local writes (a replay on open starts the
  // change log afresh afterwards).
  for (const std::string& id : changed) RecordChange(id);
  return absl::OkStatus();
}

absl::Status Catalog::MaybeCompact() {
  // Campaign edits append whole campaigns: without this a busy catalog grows without bound.
  constexpr size_t kMinBytes = size_t{64} << 20;
  const size_t size = log_->size_bytes();
  if (size < kMinBytes || size < 4 * live_bytes_) return absl::OkStatus();
  return Compact();
}

absl::Status Catalog::Compact() {
  std::vector<std::string> records;
  if (shared_log_) records.push_back(AdminTokenRecord(vetrina::ToHex(admin_token_hash_)));
  for (const auto& [id, hash] : token_hash_by_advertiser_) {
    records.push_back(AdvertiserRecord(id, hash));
  }
  for (const auto& [name, stored] : audiences_) {
    records.push_back(AudienceRecord(stored.audience, stored.json));
  }
  std::vector<const CampaignEntry*> chunk;
  for (const auto& [id, entry] : campaigns_) {
    chunk.push_back(&entry);
    if (chunk.size() == kCampaignsPerCompactedRecord) {
      records.push_back(PutRecord(chunk));
      chunk.clear();
    }
  }
  if (!chunk.empty()) records.push_back(PutRecord(chunk));
  // Last, so that replaying the compacted journal ends at the version it had, not at its count
  // of records: versions never go back across a restart.
  records.push_back(StrCat("{\"op\":\"version\",\"version\":", version_, "}"));
  VETRINA_RETURN_IF_ERROR(log_->Rewrite(records));
  live_bytes_ = log_->size_bytes();
  return absl::OkStatus();
}

std::optional<Principal> Catalog::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kScheme.size()),
                              absl::string_view(kScheme.data(), kScheme.size()))) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  const vetrina::Digest digest = vetrina::Sha256(token);
  const std::string hash = vetrina::ToHex(digest);
  absl::MutexLock lock(&mu_);
  if (vetrina::ConstantTimeEquals(digest, admin_token_hash_))
    return Principal{.admin = true, .advertiser = {}};
  auto it = advertiser_by_token_hash_.find(hash);
  if (it == advertiser_by_token_hash_.end()) return std::nullopt;
  // The lookup is keyed by the token's hash, which tells an attacker nothing about the token.
  return Principal{.admin = false, .advertiser = it->second};
}

absl::StatusOr<std::string> Catalog::CreateAdvertiser(const std::string& id) {
  if (!IsValidId(id)) {
    return absl::InvalidArgumentError("id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  }
  const std::string token = NewToken(random_);
  const std::string hash = TokenHash(token);
  absl::MutexLock lock(&mu_);
  VETRINA_RETURN_IF_ERROR(
      AppendChecked([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<std::string> {
        if (token_hash_by_advertiser_.contains(id)) {
          return absl::AlreadyExistsError(StrCat("advertiser ", id, " exists"));
        }
        return AdvertiserRecord(id, hash);
      }));
  advertiser_by_token_hash_[hash] = id;
  token_hash_by_advertiser_[id] = hash;
  ++version_;
  RebuildRegistry();
  return token;
}

absl::Status Catalog::CheckPutLocked(const Principal& principal,
                                     const std::vector<CampaignEntry>& entries) const {
  for (const CampaignEntry& entry : entries) {
    const engine::Campaign& c = *entry.campaign;
    if (!principal.Owns(c.advertiser)) {
      return absl::PermissionDeniedError(
          StrCat("campaign ", c.id, " names advertiser ", c.advertiser, ", not yours"));
    }
    auto existing = campaigns_.find(c.id);
    if (existing != campaigns_.end() && !principal.Owns(existing->second.campaign->advertiser)) {
      // Another advertiser's campaign: indistinguishable from one that does not exist.
      return absl::NotFoundError(StrCat("campaign ", c.id, " not found"));
    }
  }
  return absl::OkStatus();
}

absl::Status Catalog::CheckPut(const Principal& principal,
                               const std::vector<CampaignEntry>& entries) const {
  absl::MutexLock lock(&mu_);
  return CheckPutLocked(principal, entries);
}

absl::Status Catalog::PutCampaigns(const Principal& principal, std::vector<CampaignEntry> entries,
                                   size_t* created) {
  std::vector<const CampaignEntry*> pointers;
  for (const CampaignEntry& e : entries) pointers.push_back(&e);
  const std::string record = PutRecord(pointers);
  absl::MutexLock lock(&mu_);
  auto check = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<std::string> {
    VETRINA_RETURN_IF_ERROR(CheckPutLocked(principal, entries));
    return record;
  };
  VETRINA_RETURN_IF_ERROR(AppendChecked(check));
  size_t new_ones = 0;
  ++version_;
  for (CampaignEntry& entry : entries) {
    const std::string id = entry.campaign->id;
    auto [it, inserted] = campaigns_.insert_or_assign(id, std::move(entry));
    new_ones += inserted ? 1 : 0;
    held_.erase(id);
    RecordChange(id);
  }
  if (created != nullptr) *created = new_ones;
  // The change is durable already; a failed compaction leaves the longer journal in place.
  (void)MaybeCompact();
  return absl::OkStatus();
}

absl::Status Catalog::DeleteCampaign(const Principal& principal, const std::string& id) {
  absl::MutexLock lock(&mu_);
  VETRINA_RETURN_IF_ERROR(
      AppendChecked([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<std::string> {
        auto it = campaigns_.find(id);
        if (it == campaigns_.end() || !principal.Owns(it->second.campaign->advertiser)) {
          return absl::NotFoundError(StrCat("campaign ", id, " not found"));
        }
        return DeleteRecord(id);
      }));
  campaigns_.erase(id);
  held_.erase(id);
  ++version_;
  RecordChange(id);
  return absl::OkStatus();
}

std::optional<CampaignEntry> Catalog::GetCampaign(const Principal& principal,
                                                  const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = campaigns_.find(id);
  if (it == campaigns_.end() || !principal.Owns(it->second.campaign->advertiser)) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<CampaignEntry> Catalog::ListCampaigns(const Principal& principal,
                                                  const std::string& after, size_t limit) const {
  std::vector<CampaignEntry> out;
  absl::MutexLock lock(&mu_);
  for (auto it = campaigns_.upper_bound(after); it != campaigns_.end() && out.size() < limit;
       ++it) {
    if (principal.Owns(it->second.campaign->advertiser)) out.push_back(it->second);
  }
  return out;
}

void Catalog::RebuildRegistry() {
  auto registry = std::make_shared<engine::AudienceRegistry>();
  registry->names.resize(next_segment_);
  for (const auto& [name, stored] : audiences_) {
    registry->names[stored.audience.segment] = name;
    if (stored.audience.kind == engine::AudienceKind::kPixel) {
      registry->pixel_audiences[stored.audience.advertiser].push_back(stored.audience);
    }
  }
  for (const auto& [advertiser, hash] : token_hash_by_advertiser_) {
    registry->advertisers.insert(advertiser);
  }
  registry_ = std::move(registry);
  if (publish_registry_) publish_registry_(registry_);
}

void Catalog::OnAudiencesChange(RegistryFn publish) {
  absl::MutexLock lock(&mu_);
  publish_registry_ = std::move(publish);
  if (publish_registry_) publish_registry_(registry_);
}

absl::StatusOr<engine::Audience> Catalog::PutAudience(const Principal& principal,
                                                      engine::Audience audience,
                                                      const std::string& json) {
  if (principal.admin) {
    return absl::PermissionDeniedError("audiences belong to advertisers: use their token");
  }
  audience.advertiser = principal.advertiser;
  absl::MutexLock lock(&mu_);
  bool is_new = false;
  VETRINA_RETURN_IF_ERROR(
      AppendChecked([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<std::string> {
        auto existing = audiences_.find(audience.QualifiedName());
        is_new = existing == audiences_.end();
        if (!is_new) {
          audience.segment = existing->second.audience.segment;
        } else {
          if (next_segment_ > engine::kMaxSegmentId) {
            return absl::ResourceExhaustedError("no segment ids left");
          }
          audience.segment = next_segment_;
        }
        return AudienceRecord(audience, json);
      }));
  if (is_new) ++next_segment_;
  audiences_[audience.QualifiedName()] = StoredAudience{audience, json};
  ++version_;
  RebuildRegistry();
  return audience;
}

std::optional<engine::Audience> Catalog::GetAudience(const Principal& principal,
                                                     const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = audiences_.find(principal.advertiser + "/" + id);
  if (principal.admin || it == audiences_.end()) return std::nullopt;
  return it->second.audience;
}

std::vector<engine::Audience> Catalog::ListAudiences(const Principal& principal) const {
  absl::MutexLock lock(&mu_);
  std::vector<engine::Audience> out;
  for (const auto& [name, stored] : audiences_) {
    if (principal.Owns(stored.audience.advertiser)) out.push_back(stored.audience);
  }
  return out;
}

bool Catalog::AudienceExists(const std::string& qualified) const {
  absl::MutexLock lock(&mu_);
  return audiences_.contains(qualified);
}

bool Catalog::AdvertiserExists(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  return token_hash_by_advertiser_.contains(id);
}

std::shared_ptr<const engine::AudienceRegistry> Catalog::registry() const {
  absl::MutexLock lock(&mu_);
  return registry_;
}

void Catalog::RecordChange(const std::string& id) {
  changes_.emplace_back(version_, id);
  if (changes_.size() > kMaxChangeLog) {
    changes_from_ = changes_.front().first;
    // Drop whole versions only, so a version is either fully in the log or not at all.
    while (!changes_.empty() && changes_.front().first <= changes_from_) changes_.pop_front();
  }
}

bool Catalog::ChangesSince(uint64_t version, std::vector<std::string>* ids,
                           uint64_t* current) const {
  absl::MutexLock lock(&mu_);
  *current = version_;
  ids->clear();
  if (version < changes_from_) return false;
  auto it = std::upper_bound(changes_.begin(), changes_.end(), version,
                             [](uint64_t v, const auto& change) { return v < change.first; });
  for (; it != changes_.end(); ++it) ids->push_back(it->second);
  return true;
}

std::vector<engine::CampaignPtr> Catalog::Lookup(const std::vector<std::string>& ids) const {
  absl::MutexLock lock(&mu_);
  std::vector<engine::CampaignPtr> found;
  found.reserve(ids.size());
  for (const std::string& id : ids) {
    auto it = campaigns_.find(id);
    found.push_back(it == campaigns_.end() ? nullptr : it->second.campaign);
  }
  return found;
}

std::vector<engine::CampaignPtr> Catalog::AllCampaigns(uint64_t* version) const {
  absl::MutexLock lock(&mu_);
  if (version != nullptr) *version = version_;
  std::vector<engine::CampaignPtr> all;
  all.reserve(campaigns_.size());
  for (const auto& [id, entry] : campaigns_) all.push_back(entry.campaign);
  return all;
}

std::map<std::string, std::string> Catalog::HeldCampaigns() const {
  absl::ReaderMutexLock lock(&mu_);
  return held_;
}

size_t Catalog::campaign_count() const {
  absl::MutexLock lock(&mu_);
  return campaigns_.size();
}

uint64_t Catalog::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

uint64_t Catalog::WaitForChange(uint64_t seen, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return version_ != seen; };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  return version_;
}

}  // namespace vetrina::admin
