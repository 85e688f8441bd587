// The one writer of the audience store. Pixel events and uploads queue membership updates here;
// a thread takes everything queued and appends it to the audience log as one record. An upload
// waits for its ticket (acknowledged only once durable); the pixel path never waits and drops,
// counted, when the queue is full. On open the log is replayed into the store and, when it has
// grown, compacted to the live memberships.
//
// Single node, the log is <data-dir>/audiences.journal (fdatasync): the thread applies a batch to
// the store once it is appended, and a journal failure stops the writer (fail-stop). A shared log
// (a fleet) echoes appends: only records read back by Follow reach the store, so every node
// applies every node's records in the same order; the thread follows after each append (a
// ticket is durable once its record is in the log and followed) and every ~20 ms when idle. A
// shared log's failure is transient: the batch's tickets get the error, its pixel events go back
// to the queue, and the next batch tries again.
//
//   absl::StatusOr<MembershipWriterPtr> writer = MembershipWriter::Open(dir, store, clock);
//   uint64_t ticket = (*writer)->Submit(std::move(updates));
//   VETRINA_RETURN_IF_ERROR((*writer)->WaitDurable(ticket));
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/storage/journal.h"
#include "adapters/storage/record_log.h"
#include "base/clock.h"
#include "engine/audience/audience_store.h"

namespace vetrina::audiences {

class MembershipWriter;
using MembershipWriterPtr = std::unique_ptr<MembershipWriter>;

// Thread-safe.
class MembershipWriter {
 public:
  static constexpr size_t kMaxQueued = 2'000'000;  // updates

  // `open_log` opens the audience log; empty: the file journal <data_dir>/audiences.journal.
  static absl::StatusOr<MembershipWriterPtr> Open(const std::string& data_dir,
                                                  engine::AudienceStore& store,
                                                  const vetrina::Clock& clock,
                                                  size_t compact_after_bytes = kCompactAfterBytes,
                                                  const storage::LogOpener& open_log = {});
  ~MembershipWriter();  // writes what is queued, then stops

  void Start();
  // Queues updates, waiting while the queue is full. Returns the ticket to wait for.
  uint64_t Submit(std::vector<engine::AudienceUpdate> updates);
  // Queues updates unless the queue is full; false (and nothing queued) when it is.
  bool TrySubmit(std::vector<engine::AudienceUpdate> updates);
  // Returns once every update up to `ticket` is durable and in the store: OK, or the log's
  // error when the batch holding `ticket` failed (or, single node, the journal failed at all).
  absl::Status WaitDurable(uint64_t ticket) { return WaitDurable(ticket, ticket); }
  // The same for tickets `first`..`last` (one upload's): the error of any of their batches.
  absl::Status WaitDurable(uint64_t first, uint64_t last);

  size_t replayed() const { return replayed_; }
  size_t compactions() const { return compactions_.load(); }
  uint64_t applied() const { return applied_.load(); }
  // Pixel updates dropped because a shared log stayed unreachable while the queue filled.
  uint64_t dropped() const { return dropped_.load(); }
  // Journal bytes past this, and past 4x the live memberships, trigger a compaction.
  static constexpr size_t kCompactAfterBytes = size_t{256} << 20;

 private:
  MembershipWriter(engine::AudienceStore& store, const vetrina::Clock& clock,
                   size_t compact_after_bytes)
      : store_(store), clock_(clock), compact_after_bytes_(compact_after_bytes) {}
  void Run();
  // Appends `batch` to a shared log and follows past it; a failed batch's pixel updates go back
  // to the queue. Returns the status for the batch's tickets.
  absl::Status AppendShared(std::vector<engine::AudienceUpdate>& uploads,
                            std::vector<engine::AudienceUpdate>& pixels);
  // Applies every record appended since the last call (this node's too); reloads the whole
  // log when records it had not read were compacted away.
  absl::Status Follow();
  // Brings the store to the whole log's state, after records this node had not read were
  // compacted away.
  absl::Status Reload();
  absl::Status ApplyRecord(std::string_view record);
  // Rewrites the journal as the live memberships once it has grown well past them.
  absl::Status MaybeCompact();
  // Retention, at most every retention::kSweepEvery: drops users whose memberships all expired,
  // and rewrites the log as the live memberships when the last rewrite is
  // retention::kJournalCompactEvery old, so expired and removed memberships leave the disk (or
  // Redis) too. `log_read`: this node has read the whole log (a rewrite needs it).
  void EnforceRetention(bool log_read);
  absl::Time last_sweep_ = absl::InfinitePast();
  absl::Time last_compaction_;  // or the log's opening (set by Open)
  absl::Status Compact(engine::Day today);
  size_t queued() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.size() + pixel_queue_.size();
  }
  void RecordFailure(uint64_t first, uint64_t last, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static constexpr absl::Duration kFollowEvery = absl::Milliseconds(20);
  static constexpr absl::Duration kRetryAfterFailure = absl::Milliseconds(200);
  static constexpr size_t kFailuresKept = 256;

  engine::AudienceStore& store_;
  const vetrina::Clock& clock_;
  std::unique_ptr<storage::RecordLog> log_;
  bool shared_ = false;  // log_->echoes_appends()
  size_t replayed_ = 0;
  std::atomic<size_t> compactions_{0};
  const size_t compact_after_bytes_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> dropped_{0};

  absl::Mutex mu_;
  std::vector<engine::AudienceUpdate> queue_ ABSL_GUARDED_BY(mu_);        // uploads (Submit)
  std::vector<engine::AudienceUpdate> pixel_queue_ ABSL_GUARDED_BY(mu_);  // TrySubmit
  uint64_t queued_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);  // single node: the journal failed, for good
  // Shared log: the batches that failed, as ticket ranges (the latest kFailuresKept; tickets
  // up to forgotten_through_ are answered with forgotten_failure_, erring toward an error).
  struct FailedBatch {
    uint64_t first, last;
    absl::Status status;
  };
  std::deque<FailedBatch> failed_ ABSL_GUARDED_BY(mu_);
  uint64_t forgotten_through_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status forgotten_failure_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Binary journal records: 25 bytes per update (key hi, key lo, segment, expires: little-endian;
// then 1 for removal, 0 for addition).
std::string EncodeUpdates(const std::vector<engine::AudienceUpdate>& updates);
absl::Status DecodeUpdates(std::string_view record, std::vector<engine::AudienceUpdate>* out);

}  // namespace vetrina::audiences
