// The one writer of money. Notices are applied to the in-memory state under one lock (so the
// duplicate filter and the journal agree on their order) and their effects queued; a thread
// takes everything queued, appends it to <data-dir>/spend.journal as one record with fdatasync
// (group commit), and only then runs each notice's completion, so a notice is acknowledged only
// once its spend is on disk. On open the journal is replayed: spend, counts, the CTR model,
// frequency counts and the duplicate filter come back; reservations do not (a notice for a bid
// from before the restart is charged only if the budget still has room). Once the journal has
// grown it is rewritten as a snapshot of that state.
//
//   absl::StatusOr<SpendWriterPtr> writer = SpendWriter::Open(dir, money, clock);
//   (*writer)->Start();
//   NoticeResult r = (*writer)->Submit(notice, limits, [](absl::Status durable) { ... });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/storage/journal.h"
#include "base/clock.h"
#include "engine/money/notice_book.h"
#include "engine/money/spend_policy.h"

namespace vetrina::money {

class SpendWriter;
using SpendWriterPtr = std::unique_ptr<SpendWriter>;

// Thread-safe.
class SpendWriter {
 public:
  static constexpr size_t kCompactAfterBytes = size_t{64} << 20;

  static absl::StatusOr<SpendWriterPtr> Open(const std::string& data_dir, engine::MoneyState& money,
                                             const vetrina::Clock& clock,
                                             size_t compact_after_bytes = kCompactAfterBytes);
  ~SpendWriter();  // writes what is queued (running every completion), then stops

  void Start();

  // Called once, on the writer thread: OK when the notice's effect (for a duplicate: every
  // effect submitted before it) is durable, the journal's error otherwise.
  using Done = std::function<void(absl::Status durable)>;

  // Applies `notice` (`limits`: its campaign's current budgets). `done` is called for every
  // status but kPriceAbove, which changes nothing and needs no wait.
  engine::NoticeResult Submit(const engine::Notice& notice, const engine::BudgetLimits& limits,
                              Done done);

  // Releases expired reservations, forgets expired bids and sweeps old frequency counts; the
  // writer thread calls it every second.
  void Expire();

  size_t replayed_effects() const { return replayed_; }
  uint64_t durable_batches() const { return batches_.load(); }
  size_t compactions() const { return compactions_.load(); }

 private:
  SpendWriter(engine::MoneyState& money, const vetrina::Clock& clock, size_t compact_after_bytes)
      : money_(money), clock_(clock), compact_after_bytes_(compact_after_bytes), book_(money) {}
  absl::Status Replay(std::string_view record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The state as journal records (under mu_, so consistent with the effects applied).
  std::vector<std::string> Snapshot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();
  // Appends how many bids each campaign made since the last call (writer thread).
  void JournalBidCounts();

  engine::MoneyState& money_;
  const vetrina::Clock& clock_;
  storage::JournalPtr journal_;  // used by Open, then by the writer thread only
  size_t replayed_ = 0;
  std::atomic<uint64_t> batches_{0};
  std::atomic<size_t> compactions_{0};
  const size_t compact_after_bytes_;
  size_t live_bytes_ = 0;  // journal size right after the last compaction (writer thread)
  absl::Time last_sweep_ = absl::InfinitePast();

  absl::Mutex mu_;
  engine::NoticeBook book_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);  // encoded effects, wire.h strings
  size_t pending_effects_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Done> waiting_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vetrina::money
