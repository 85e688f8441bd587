// The one writer of the audience store. Pixel events and uploads queue membership updates here;
// a thread takes everything queued, appends it to <data-dir>/audiences.journal with fdatasync,
// then applies it to the store. An upload waits for its ticket (acknowledged only once durable);
// the pixel path never waits and drops, counted, when the queue is full. On open the journal is
// replayed into the store and, when it has grown, compacted to the live memberships.
//
//   absl::StatusOr<MembershipWriterPtr> writer = MembershipWriter::Open(dir, store, clock);
//   uint64_t ticket = (*writer)->Submit(std::move(updates));
//   VETRINA_RETURN_IF_ERROR((*writer)->WaitDurable(ticket));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/storage/journal.h"
#include "base/clock.h"
#include "engine/audience/audience_store.h"

namespace vetrina::audiences {

class MembershipWriter;
using MembershipWriterPtr = std::unique_ptr<MembershipWriter>;

// Thread-safe.
class MembershipWriter {
 public:
  static constexpr size_t kMaxQueued = 2'000'000;  // updates

  static absl::StatusOr<MembershipWriterPtr> Open(const std::string& data_dir,
                                                  engine::AudienceStore& store,
                                                  const vetrina::Clock& clock,
                                                  size_t compact_after_bytes = kCompactAfterBytes);
  ~MembershipWriter();  // writes what is queued, then stops

  void Start();
  // Queues updates, waiting while the queue is full. Returns the ticket to wait for.
  uint64_t Submit(std::vector<engine::AudienceUpdate> updates);
  // Queues updates unless the queue is full; false (and nothing queued) when it is.
  bool TrySubmit(std::vector<engine::AudienceUpdate> updates);
  // Returns once every update up to `ticket` is on disk and in the store, or the journal failed.
  absl::Status WaitDurable(uint64_t ticket);

  size_t replayed() const { return replayed_; }
  size_t compactions() const { return compactions_.load(); }
  uint64_t applied() const { return applied_.load(); }
  // Journal bytes past this, and past 4x the live memberships, trigger a compaction.
  static constexpr size_t kCompactAfterBytes = size_t{256} << 20;

 private:
  MembershipWriter(engine::AudienceStore& store, const vetrina::Clock& clock,
                   size_t compact_after_bytes)
      : store_(store), clock_(clock), compact_after_bytes_(compact_after_bytes) {}
  void Run();
  // Rewrites the journal as the live memberships once it has grown well past them.
  absl::Status MaybeCompact();
  // Drops users whose memberships all expired, at most every kSweepEvery, when idle.
  void MaybeSweep();
  static constexpr absl::Duration kSweepEvery = absl::Hours(1);
  absl::Time last_sweep_ = absl::InfinitePast();
  absl::Status Compact(engine::Day today);
  uint64_t Enqueue(std::vector<engine::AudienceUpdate>& updates) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  engine::AudienceStore& store_;
  const vetrina::Clock& clock_;
  storage::JournalPtr journal_;
  size_t replayed_ = 0;
  std::atomic<size_t> compactions_{0};
  const size_t compact_after_bytes_;
  std::atomic<uint64_t> applied_{0};

  absl::Mutex mu_;
  std::vector<engine::AudienceUpdate> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Binary journal records: 25 bytes per update (key hi, key lo, segment, expires: little-endian;
// then 1 for removal, 0 for addition).
std::string EncodeUpdates(const std::vector<engine::AudienceUpdate>& updates);
absl::Status DecodeUpdates(std::string_view record, std::vector<engine::AudienceUpdate>* out);

}  // namespace vetrina::audiences
