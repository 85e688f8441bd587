// The one writer of money: it applies notices (win, bill, loss, impression, click) and makes
// them durable in the spend log before they are acknowledged.
//
// Single node, the log is <data-dir>/spend.journal. A notice is applied to the in-memory state
// at once, under one lock (so the duplicate filter and the journal agree on their order), and
// its effect queued; a thread takes everything queued, appends it as one record with fdatasync
// (group commit), and only then completes each notice, so a notice is acknowledged only once its
// spend is on disk. A journal failure stops the writer (fail-stop).
//
// On a shared log (a fleet: echoes_appends()) the log carries notices, not effects: Submit
// queues the notice with its origin (node id, a per-process incarnation, a sequence number),
// its campaign's limits and the time; the thread appends the queued notices as one record and
// follows the log. Every node applies every notice of the log, in log order and at the
// record's time, so duplicate decisions and counts agree fleet-wide; the origin node completes
// a notice when its follow reaches it. Spend agrees too, except within one reservation of a
// budget's end: only the bidding node holds the bid's reservation, so it charges a win that
// another node, seeing no room, records as over budget. A shared log's failure is transient: the
// notices waiting get its error and the next batch tries again.
//
// On open the log is replayed: spend, counts, the CTR model, frequency counts and the duplicate
// filter come back; reservations do not (a notice for a bid from before the restart is charged
// only if the budget still has room). Once the log has grown it is rewritten as a snapshot of
// that state (effect records, which a replay accepts as it accepts notice records).
//
//   absl::StatusOr<SpendWriterPtr> writer = SpendWriter::Open(dir, money, clock);
//   (*writer)->Start();
//   (*writer)->Submit(notice, limits, [](absl::StatusOr<NoticeResult> r) { ... });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/storage/journal.h"
#include "adapters/storage/record_log.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/wire.h"
#include "engine/money/lease.h"
#include "engine/money/notice_book.h"
#include "engine/money/spend_policy.h"

namespace vetrina::money {

class SpendWriter;
using SpendWriterPtr = std::unique_ptr<SpendWriter>;

// Thread-safe.
class SpendWriter {
 public:
  static constexpr size_t kCompactAfterBytes = size_t{64} << 20;

  struct Options {
    size_t compact_after_bytes = kCompactAfterBytes;
    // Opens the spend log; empty: the file journal <data_dir>/spend.journal.
    storage::LogOpener open_log;
    // Names this node's notices in a shared log (the fleet's --node-id).
    std::string node_id;
    // Shared log: notices waiting for it past this many are refused (Unavailable), so nothing
    // queues without bound while Redis does not answer.
    size_t max_waiting = 100'000;
    // A fleet's budget leases (money::LeaseKeeper): bids need a lease, notices of leased bids are
    // charged by the lease rule, and reservations are released only once the follow has read
    // every notice that could still charge them (RequestWatermark).
    std::optional<engine::LeaseTerms> leases;
  };
  static absl::StatusOr<SpendWriterPtr> Open(const std::string& data_dir, engine::MoneyState& money,
                                             const vetrina::Clock& clock, Options options);
  static absl::StatusOr<SpendWriterPtr> Open(const std::string& data_dir, engine::MoneyState& money,
                                             const vetrina::Clock& clock,
                                             size_t compact_after_bytes = kCompactAfterBytes);
  ~SpendWriter();  // writes what is queued (running every completion), then stops

  void Start();

  // Called once with the notice's result when it is durable (for a duplicate: once every
  // effect submitted before it is), or with the log's error: Unavailable or DeadlineExceeded
  // while a shared log is out of reach. Called on the writer thread, or at once on the caller's
  // for kPriceAbove on a single node (it changes nothing and needs no wait).
  using Done = std::function<void(absl::StatusOr<engine::NoticeResult> result)>;

  // Applies `notice` (`limits`: its campaign's current budgets) and calls `done`.
  void Submit(const engine::Notice& notice, const engine::BudgetLimits& limits, Done done);

  // Releases expired reservations, forgets expired bids and sweeps old frequency counts; the
  // writer thread calls it every second.
  void Expire();

  // Leases: `redis_now` is a time Redis reported; once a follow that started after this call has
  // read the log to its end, every notice Redis took before `redis_now` has been applied, and
  // reservations whose notices could only be charged before it are released.
  void RequestWatermark(absl::Time redis_now);
  // The last such time confirmed by a follow (InfinitePast: none yet).
  absl::Time watermark() const;
  // Calls `fn` with the notice book while no notice is applied and no reload is under way (the
  // lease charges it holds).
  void ReadBook(const std::function<void(const engine::NoticeBook&)>& fn);
  // This process's incarnation: the node part of its leases' ids.
  uint64_t incarnation() const { return incarnation_; }

  size_t replayed_effects() const { return replayed_; }
  uint64_t durable_batches() const { return batches_.load(); }
  size_t compactions() const { return compactions_.load(); }

 private:
  SpendWriter(engine::MoneyState& money, const vetrina::Clock& clock, Options options);
  // A notice to complete: on a shared log, by its completion in `waiting_by_sequence_`.
  struct Completion {
    Done done;
    absl::StatusOr<engine::NoticeResult> result;
  };
  // Applies one record of the log. Notices this node submitted (since it opened) are added to
  // `completions`, when given.
  absl::Status Replay(std::string_view record, std::vector<Completion>* completions = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReplayNotices(vetrina::ByteReader& r, bool with_lease,
                             std::optional<absl::Time> logged_at,
                             std::vector<Completion>* completions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReplaySnapshot(vetrina::ByteReader& r, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Shared log: applies what was appended since the last call and completes this node's
  // notices; reloads the whole log when records it had not read were compacted away.
  absl::Status Follow();
  // Shared log: appends the queued notices (`batch`: encoded; `sequences`: theirs), follows past
  // them, and fails those the follow did not complete. True when the follow read to the end.
  bool AppendNotices(std::string batch, size_t count, const std::vector<uint64_t>& sequences);
  void RunShared();
  // The writer loops' housekeeping: once a second expiry and bid counts; when `stopping`, the
  // last bid counts, and true (the loop ends).
  bool HousekeepAndStop(bool stopping, absl::Time* last_expire);
  static constexpr absl::Duration kFollowEvery = absl::Milliseconds(20);
  static constexpr absl::Duration kFollowAfterFailure = absl::Milliseconds(200);
  // The state as journal records (under mu_, so consistent with the effects applied), without
  // frequency counts past their retention.
  std::vector<std::string> Snapshot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the log should be rewritten as the state (writer thread): it has grown well past it,
  // or RetentionDue().
  bool CompactionDue() const { return GrownPastState() || RetentionDue(); }
  bool GrownPastState() const;
  // The last rewrite is retention::kJournalCompactEvery old: a rewrite makes records holding user
  // hashes (impression effects, notices) leave the disk and Redis with the counts they fed. A
  // failed one is tried again after retention::kSweepEvery.
  bool RetentionDue() const;
  // Shared log, followed to its end: rewrites it as the state.
  void CompactShared();
  void Run();
  // Appends how many bids each campaign made since the last call (writer thread).
  void JournalBidCounts();

  engine::MoneyState& money_;
  const vetrina::Clock& clock_;
  const std::string node_id_;
  const size_t max_waiting_;
  const uint64_t incarnation_;  // random per process: a restarted node's sequences start anew
  std::unique_ptr<storage::RecordLog> log_;  // used by Open, then by the writer thread only
  bool shared_ = false;                      // log_->echoes_appends()
  size_t replayed_ = 0;
  std::atomic<uint64_t> batches_{0};
  std::atomic<size_t> compactions_{0};
  const size_t compact_after_bytes_;
  size_t live_bytes_ = 0;  // journal size right after the last compaction (writer thread)
  absl::Time last_sweep_ = absl::InfinitePast();
  // The last rewrite of the log (or its opening), and the last attempt (writer thread).
  absl::Time last_compaction_;
  absl::Time last_compaction_try_ = absl::InfinitePast();
  // Shared log: its failures and recoveries, logged once each (writer thread).
  vetrina::FailureLog shared_log_failures_{"shared_log_failed", "shared_log_resumed", "notices"};

  mutable absl::Mutex mu_;
  engine::NoticeBook book_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);  // encoded effects, wire.h strings
  size_t pending_effects_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Completion> waiting_ ABSL_GUARDED_BY(mu_);  // single node
  // Shared log: the queued notices (encoded), and every notice of this node not yet completed.
  std::string queued_notices_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> queued_sequences_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, Done> waiting_by_sequence_ ABSL_GUARDED_BY(mu_);
  bool reloading_ ABSL_GUARDED_BY(mu_) = false;  // Follow replays the whole shared log
  const std::optional<engine::LeaseTerms> lease_terms_;
  // RequestWatermark's time, and the one the last follow confirmed.
  absl::Time watermark_requested_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time watermark_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vetrina::money
