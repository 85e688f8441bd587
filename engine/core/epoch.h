// Epoch-based reclamation for read-mostly data: readers never block, never spin and never touch a
// shared reference count; a writer that replaces a snapshot waits until every reader that might
// still hold the old one has left its read section, then frees it.
//
//   EpochDomain domain;
//   SnapshotCell<Index> cell(domain, std::make_unique<Index>());
//   // each reader thread, once:
//   EpochDomain::Reader reader(domain);
//   // per request:
//   EpochDomain::ReadGuard guard(reader);
//   const Index& index = cell.Get(guard);   // valid until `guard` ends
//   // writer thread:
//   cell.Publish(std::make_unique<Index>(...));  // returns once the old one is freed
//
// Why not liburcu here: its memb flavour relies on sys_membarrier, which ThreadSanitizer cannot
// see; this scheme uses only C++ seq_cst atomics, so the concurrency tests run clean under TSan.
#pragma once

#include <array>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace vetrina::engine {

// Thread-safe.
class EpochDomain {
 public:
  static constexpr int kMaxReaders = 256;

  class ReadGuard;

  // A registered reader thread's slot. Not thread-safe: owned by one thread.
  class Reader {
   public:
    explicit Reader(EpochDomain& domain);
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

   private:
    friend class ReadGuard;
    EpochDomain& domain_;
    int slot_;
    int depth_ = 0;
  };

  // A read section. Pointers read from a SnapshotCell stay valid until it ends. Nests.
  class ReadGuard {
   public:
    explicit ReadGuard(Reader& reader);
    ~ReadGuard();
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;

   private:
    Reader& reader_;
  };

  EpochDomain();

  // Returns once every read section that began before this call has ended.
  void Synchronize();

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> epoch{0};  // 0: not reading
    std::atomic<bool> in_use{false};
  };

  int AcquireSlot();
  void ReleaseSlot(int slot);

  std::atomic<uint64_t> epoch_{1};
  std::array<Slot, kMaxReaders> slots_;
  absl::Mutex sync_mu_;  // serialises writers; readers never take it
};

// An immutable T published to readers of an EpochDomain. Thread-safe.
template <typename T>
class SnapshotCell {
 public:
  SnapshotCell(EpochDomain& domain, std::unique_ptr<const T> initial)
      : domain_(domain), current_(initial.release()) {
    assert(current_.load() != nullptr);
  }
  ~SnapshotCell() { delete current_.load(); }
  SnapshotCell(const SnapshotCell&) = delete;
  SnapshotCell& operator=(const SnapshotCell&) = delete;

  // The current snapshot; valid while `guard` lives.
  const T& Get(const EpochDomain::ReadGuard& /*proof of a read section*/) const {
    return *current_.load(std::memory_order_seq_cst);
  }

  // Replaces the snapshot; frees the old one once no reader can hold it.
  void Publish(std::unique_ptr<const T> next) {
    assert(next != nullptr);
    const T* old = current_.exchange(next.release(), std::memory_order_seq_cst);
    domain_.Synchronize();
    delete old;
  }

 private:
  EpochDomain& domain_;
  std::atomic<const T*> current_;
};

}  // namespace vetrina::engine
