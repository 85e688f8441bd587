#include "engine/core/epoch.h"

#include <thread>

namespace vetrina::engine {

EpochDomain::EpochDomain() = default;

int EpochDomain::AcquireSlot() {
  for (int i = 0; i < kMaxReaders; ++i) {
    bool expected = false;
    if (slots_[i].in_use.compare_exchange_strong(expected, true)) return i;
  }
  // Readers are the server's worker threads plus a few admin threads; running out is a bug.
  assert(false && "EpochDomain: more than kMaxReaders reader threads");
  std::abort();
}

void EpochDomain::ReleaseSlot(int slot) {
  assert(slots_[slot].epoch.load() == 0);
  slots_[slot].in_use.store(false);
}

EpochDomain::Reader::Reader(EpochDomain& domain) : domain_(domain), slot_(domain.AcquireSlot()) {}

EpochDomain::Reader::~Reader() {
  assert(depth_ == 0);
  domain_.ReleaseSlot(slot_);
}

EpochDomain::ReadGuard::ReadGuard(Reader& reader) : reader_(reader) {
  if (reader_.depth_++ == 0) {
    EpochDomain& d = reader_.domain_;
    // seq_cst store, then the caller's seq_cst load of the cell: a writer either sees this slot
    // busy or this reader sees the writer's new pointer.
    d.slots_[reader_.slot_].epoch.store(d.epoch_.load(std::memory_order_seq_cst),
                                        std::memory_order_seq_cst);
  }
}

EpochDomain::ReadGuard::~ReadGuard() {
  if (--reader_.depth_ == 0) {
    reader_.domain_.slots_[reader_.slot_].epoch.store(0, std::memory_order_release);
  }
}

void EpochDomain::Synchronize() {
  absl::MutexLock lock(&sync_mu_);
  const uint64_t target = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
  for (Slot& slot : slots_) {
    // A reader that entered before the bump shows an older epoch; wait for it to leave. Read
    // sections are a request's auction: microseconds.
    for (;;) {
      const uint64_t e = slot.epoch.load(std::memory_order_seq_cst);
      if (e == 0 || e >= target) break;
      std::this_thread::yield();
    }
  }
}

}  // namespace vetrina::engine
