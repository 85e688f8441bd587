// The in-memory audience store: user key -> audience segments, each with an expiry day.
//
// Reads never block and never wait. The store is 4096 shards, each an open-addressing table of
// 24-byte slots (a 128-bit key and an atomic pointer to the user's immutable membership list:
// 4 bytes per membership, a 24-bit segment id and an 8-bit expiry in days after the list's base
// day). Keys are written once and never move; a writer changes a user by publishing a new list
// and retiring the old one, and grows a shard by publishing a larger table. Retired lists and
// tables are freed once no reader can hold them (EpochDomain), once per batch. About 32 bytes
// per user for the slot (tables stay at most 3/4 full), plus the list: 8 bytes of header, 4 per
// membership, and the allocator's overhead.
//
//   AudienceStore store(domain);
//   store.Apply({{key, segment, expires_day, /*remove=*/false}}, today);   // one writer
//   EpochDomain::ReadGuard guard(reader);
//   store.Lookup(guard, key, today, &segments);                            // any thread
//
// Memberships last at most kMaxTtlDays past the day their shard was last rebuilt.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/audience/audience_key.h"
#include "engine/core/epoch.h"

namespace vetrina::engine {

using SegmentId = uint32_t;
inline constexpr SegmentId kMaxSegmentId = (1u << 24) - 1;
using Day = int32_t;  // days since the Unix epoch
// The day memberships are looked up and expire on: UTC days.
inline Day AudienceDay(absl::Time t) { return static_cast<Day>(absl::ToUnixSeconds(t) / 86'400); }
inline constexpr Day kMaxTtlDays = 255;

struct AudienceUpdate {
  AudienceKey key;
  SegmentId segment = 0;  // <= kMaxSegmentId
  Day expires = 0;        // the membership lasts through this day; ignored for removals
  bool remove = false;
};

// Thread-safe: any number of readers; Apply calls are serialised.
class AudienceStore {
 public:
  static constexpr int kShardBits = 12;
  static constexpr size_t kShards = size_t{1} << kShardBits;

  // `seed` scatters keys over shards and slots; a random one per process keeps uploads of
  // chosen hashes from piling into one probe run.
  AudienceStore(EpochDomain& domain, uint64_t seed);
  ~AudienceStore();
  AudienceStore(const AudienceStore&) = delete;
  AudienceStore& operator=(const AudienceStore&) = delete;

  // Appends the user's segments that are live on `today` to `*out`, in increasing order.
  // `guard` proves the caller is in a read section of the store's domain.
  void Lookup(const EpochDomain::ReadGuard& guard, const AudienceKey& key, Day today,
              std::vector<SegmentId>* out) const;

  // Looks up many keys at once: `(*out)[i]` receives the live segments of `keys[i]`. Memory
  // fetches for all keys are issued before any is waited on, so a batch costs little more
  // than one lookup's cache misses.
  void LookupBatch(const EpochDomain::ReadGuard& guard, const AudienceKey* keys, size_t count,
                   Day today, std::vector<SegmentId>* out) const;

  // Applies a batch (later updates to the same membership win), drops memberships that
  // expired before `today`, publishes, and returns once the replaced shards are freed.
  void Apply(std::vector<AudienceUpdate> updates, Day today);

  // Calls fn(key, segment, expires) for every live membership; for snapshots. Writers are
  // excluded while it runs.
  // Rebuilds the shards where expired or emptied users hold more than a quarter of the slots,
  // so users who stop coming do not keep memory. Writer side; returns the users dropped.
  size_t Sweep(Day today);

  void ForEachMembership(Day today,
                         const std::function<void(const AudienceKey&, SegmentId, Day)>& fn) const;

  // Users with at least one membership (live or not yet swept), and their memberships.
  size_t users() const { return users_.load(); }
  size_t memberships() const { return memberships_.load(); }
  size_t MemoryBytes() const;

 private:
  struct Members;
  struct Table;
  // A seeded mix of the key: its top bits pick the shard, its low bits the slot.
  uint64_t Spread(const AudienceKey& key) const {
    uint64_t z = key.hi ^ (key.lo << 32 | key.lo >> 32) ^ seed_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t ShardOf(const AudienceKey& key) const { return Spread(key) >> (64 - kShardBits); }
  // Applies one user's updates; returns the list it replaced (to retire) or nullptr.
  const Members* ApplyUser(size_t shard, const AudienceKey& key, const AudienceUpdate* begin,
                           const AudienceUpdate* end, Day today,
                           std::vector<const Table*>* retired_tables)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);

  EpochDomain& domain_;
  const uint64_t seed_;
  std::array<std::atomic<const Table*>, kShards> shards_;
  mutable absl::Mutex writer_mu_;
  std::atomic<size_t> users_{0};
  std::atomic<size_t> memberships_{0};
};

}  // namespace vetrina::engine
