// The authoritative, durable store of advertisers and their campaigns. Every change is written
// to a journal in the data dir and fsynced before it is acknowledged; on open the journal is
// replayed (a torn tail from a crash is cut off, so a half-written batch never appears).
// Readers of the bid path never touch this: the publisher turns it into CampaignSnapshots.
//
//   std::string new_token;
//   absl::StatusOr<CatalogPtr> catalog = Catalog::Open("/var/lib/vetrina", &new_token);
//   absl::Status s = (*catalog)->PutCampaigns(principal, {entry});   // durable when OK
//
// In a fleet every node opens the catalog on one shared log (OpenShared) and appends its
// changes only on top of everything it has read: when another node appended first, the write
// follows, checks its preconditions again and retries. Follow() applies other nodes' changes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/storage/journal.h"
#include "adapters/storage/record_log.h"
#include "base/sha256.h"
#include "engine/audience/audience.h"
#include "engine/targeting/campaign_snapshot.h"

namespace vetrina::admin {

// Who is calling: the network's admin, or one advertiser.
struct Principal {
  bool admin = false;
  std::string advertiser;  // empty for the admin

  // Whether this principal may see and change campaigns of `advertiser`.
  bool Owns(std::string_view campaign_advertiser) const {
    return admin || advertiser == campaign_advertiser;
  }
};

struct CampaignEntry {
  engine::CampaignPtr campaign;
  std::string json;  // as uploaded (minified after a restart)
};

// Returns `n` cryptographically random bytes.
using RandomBytes = std::function<std::string(size_t n)>;
std::string SystemRandomBytes(size_t n);

class Catalog;
using CatalogPtr = std::unique_ptr<Catalog>;

// Thread-safe.
class Catalog {
 public:
  // Opens (or creates) the catalog in `data_dir`. On first start an admin token is generated
  // and written to <data_dir>/admin.token (mode 0600); it is returned in `*new_admin_token` that
  // once, and "" on later starts. `on_sync`, when set, times every sync of its journal.
  static absl::StatusOr<CatalogPtr> Open(const std::string& data_dir, std::string* new_admin_token,
                                         RandomBytes random = SystemRandomBytes,
                                         storage::SyncObserver on_sync = {});

  // Opens a log, calling `replay` for each record it holds.
  using LogOpener = std::function<absl::StatusOr<std::unique_ptr<storage::RecordLog>>(
      const storage::RecordLog::ReplayFn& replay)>;
  // Opens the catalog on a log shared by the nodes of a fleet, whose appends are conditional
  // (RecordLog::Append answers Aborted when others appended first; echoes_appends() is false:
  // InvalidArgument otherwise). The admin token's hash is kept in the log: the node that finds
  // none creates the token and returns it in `*new_admin_token` (fresh() is then true), every
  // other node gets "". Fails with the log's error (Unavailable while it cannot be reached).
  static absl::StatusOr<CatalogPtr> OpenShared(const LogOpener& open_log,
                                               std::string* new_admin_token,
                                               RandomBytes random = SystemRandomBytes);

  // Applies the changes other nodes appended to a shared log since the last call, published
  // exactly as local writes are (a new version, the change log, the audience registry). When
  // the log was compacted past what this node had read, rebuilds the whole catalog from it (the
  // change log then starts afresh, so the publisher rebuilds everything). Returns the log's
  // error (Unavailable while it cannot be reached); the catalog then stays as it was. A file
  // journal has nothing to follow: OK.
  absl::Status Follow();

  // Rewrites the log as the current state now (it also happens by itself once the log grows
  // well past the live state). On a shared log, FailedPrecondition when another node has
  // compacted past what this node has read.
  absl::Status CompactNow();

  // The caller behind an "Authorization: Bearer <token>" header value; nullopt if none matches.
  std::optional<Principal> Authenticate(std::string_view authorization) const;

  // Registers an advertiser and returns its token (shown once; only its hash is stored).
  // AlreadyExists, InvalidArgument for a bad id.
  //
  // Every write (CreateAdvertiser, PutCampaigns, DeleteCampaign, PutAudience) also fails with
  // the log's Unavailable or DeadlineExceeded, unchanged, when the change could not be made
  // durable; nothing is applied then (a shared log may still hold it: Follow applies it).
  absl::StatusOr<std::string> CreateAdvertiser(const std::string& id);

  // Creates or replaces campaigns, all or nothing. NotFound when a campaign id belongs to an
  // advertiser `principal` does not own; PermissionDenied when a campaign names such an
  // advertiser. On OK the change is durable. `created`, when given, receives how many were new.
  absl::Status PutCampaigns(const Principal& principal, std::vector<CampaignEntry> entries,
                            size_t* created = nullptr);
  // Checks PutCampaigns' ownership rules without applying anything (dry runs).
  absl::Status CheckPut(const Principal& principal,
                        const std::vector<CampaignEntry>& entries) const;

  // NotFound when absent or not the principal's.
  absl::Status DeleteCampaign(const Principal& principal, const std::string& id);
  std::optional<CampaignEntry> GetCampaign(const Principal& principal, const std::string& id) const;
  // The principal's campaigns with ids after `after`, in id order, at most `limit`.
  std::vector<CampaignEntry> ListCampaigns(const Principal& principal, const std::string& after,
                                           size_t limit) const;

  // Creates or replaces one of the principal's audiences (advertiser tokens only), keeping its
  // segment id across replacements. `json` is the definition as uploaded.
  absl::StatusOr<engine::Audience> PutAudience(const Principal& principal,
                                               engine::Audience audience, const std::string& json);
  std::optional<engine::Audience> GetAudience(const Principal& principal,
                                              const std::string& id) const;
  std::vector<engine::Audience> ListAudiences(const Principal& principal) const;
  // Whether `qualified` ("advertiser/id") names an existing audience.
  bool AudienceExists(const std::string& qualified) const;
  bool AdvertiserExists(const std::string& id) const;
  // The registry the bid and pixel paths read, rebuilt on every audience or advertiser change.
  std::shared_ptr<const engine::AudienceRegistry> registry() const;
  // Audience definitions' own publication: calls `publish` with the current registry now, then
  // with each new one, in change order. It runs under the catalog's lock: the bidder's
  // PublishAudienceRegistry waits out the epoch readers' critical sections, so no code may take
  // the catalog's lock while it holds an EpochDomain::ReadGuard.
  using RegistryFn = std::function<void(std::shared_ptr<const engine::AudienceRegistry>)>;
  void OnAudiencesChange(RegistryFn publish);

  // Every campaign, in id order, for publishing.
  std::vector<engine::CampaignPtr> AllCampaigns(uint64_t* version = nullptr) const;

  // The ids of campaigns created, replaced or deleted after `version`, oldest first, and the
  // current version in `*current`. False when the change log no longer reaches back that far
  // (the caller then reads everything).
  bool ChangesSince(uint64_t version, std::vector<std::string>* ids, uint64_t* current) const;
  // The current campaign of each id; nullptr for ids that do not exist (deleted).
  std::vector<engine::CampaignPtr> Lookup(const std::vector<std::string>& ids) const;
  size_t campaign_count() const;
  // Stored campaigns that fail today's checks (stored before a check was added), by id, with the
  // reason. Each is kept as stored and paused, so it never bids; GET shows it as uploaded, and
  // a fixed upload (or a delete) ends the hold.
  std::map<std::string, std::string> HeldCampaigns() const;

  // Increases with every change, and carries on from where it was after a reopen.
  uint64_t version() const;
  // Returns the version once it differs from `seen`, or after `timeout`.
  uint64_t WaitForChange(uint64_t seen, absl::Duration timeout) const;

  // True when the catalog was created by this Open (a fresh data dir; on a shared log: this
  // node created the admin token).
  bool fresh() const { return fresh_; }

 private:
  explicit Catalog(RandomBytes random) : random_(std::move(random)) {}

  absl::Status Replay(std::string_view record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  storage::RecordLog::ReplayFn Replayer() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // Applies records appended elsewhere; on OutOfRange, clears and reloads the whole log.
  absl::Status FollowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets every record read (before a reload).
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends the record `check_and_encode` returns (or fails with its error). When the shared
  // log answers Aborted (others appended first), or the check refuses, follows and calls it
  // again, so its checks see the latest state; after a few tries, Unavailable.
  absl::Status AppendChecked(const std::function<absl::StatusOr<std::string>()>& check_and_encode)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // On a shared log: creates the admin token unless the log holds one.
  absl::Status EnsureSharedAdminToken(std::string* new_admin_token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Compact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Compacts once the journal is much larger than the live state (after a change).
  absl::Status MaybeCompact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t live_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // journal bytes of the last compaction
  absl::Status CheckPutLocked(const Principal& principal,
                              const std::vector<CampaignEntry>& entries) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  RandomBytes random_;
  bool fresh_ = false;
  mutable absl::Mutex mu_;
  vetrina::Digest admin_token_hash_ ABSL_GUARDED_BY(mu_){};
  // Whether the log is shared by a fleet (OpenShared): the admin token's hash is then kept in
  // it rather than in a file, and a write checked against a stale state follows first.
  bool shared_log_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<storage::RecordLog> log_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, CampaignEntry> campaigns_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> held_ ABSL_GUARDED_BY(mu_);  // see HeldCampaigns()
  absl::flat_hash_map<std::string, std::string> advertiser_by_token_hash_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> token_hash_by_advertiser_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  struct StoredAudience {
    engine::Audience audience;
    std::string json;
  };
  std::map<std::string, StoredAudience> audiences_ ABSL_GUARDED_BY(mu_);  // by "advertiser/id"
  engine::SegmentId next_segment_ ABSL_GUARDED_BY(mu_) = 1;
  std::shared_ptr<const engine::AudienceRegistry> registry_ ABSL_GUARDED_BY(mu_);
  RegistryFn publish_registry_ ABSL_GUARDED_BY(mu_);
  // Rebuilds registry_ and publishes it.
  void RebuildRegistry() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // (version, campaign id) of recent campaign changes; bounded, oldest dropped first.
  std::deque<std::pair<uint64_t, std::string>> changes_ ABSL_GUARDED_BY(mu_);
  uint64_t changes_from_ ABSL_GUARDED_BY(mu_) = 0;  // changes after this version are all kept

  void RecordChange(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace vetrina::admin
