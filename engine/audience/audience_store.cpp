#include "engine/audience/audience_store.h"

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

namespace vetrina::engine {

// One user's memberships, immutable once published: (segment << 8) | (expires - base_day).
struct AudienceStore::Members {
  Day base_day;
  uint32_t count;
  uint32_t items[];  // `count` of them, sorted by segment

  static Members* Make(Day base_day, uint32_t count) {
    void* raw = std::malloc(sizeof(Members) + count * sizeof(uint32_t));
    if (raw == nullptr) throw std::bad_alloc();
    Members* m = static_cast<Members*>(raw);
    m->base_day = base_day;
    m->count = count;
    return m;
  }
  static void Free(const Members* m) { std::free(const_cast<Members*>(m)); }
};

struct AudienceStore::Table {
  // A slot is empty while hi == 0 (keys never have hi == 0; see Normalize). A writer fills lo and
  // members before it publishes hi with release order; readers load hi with acquire order.
  struct Slot {
    std::atomic<uint64_t> hi{0};
    std::atomic<uint64_t> lo{0};
    std::atomic<const Members*> members{nullptr};
  };
  static_assert(sizeof(Slot) == 24);

  explicit Table(size_t capacity) : mask(capacity - 1), slots(new Slot[capacity]) {}
  size_t capacity() const { return mask + 1; }

  uint64_t mask;
  size_t used = 0;  // writer only
  std::unique_ptr<Slot[]> slots;
};

namespace {

constexpr size_t kInitialCapacity = 16;

AudienceKey Normalize(AudienceKey key) {
  if (key.hi == 0) key.hi = 1;  // hi == 0 marks an empty slot
  return key;
}

}  // namespace

AudienceStore::AudienceStore(EpochDomain& domain, uint64_t seed) : domain_(domain), seed_(seed) {
  for (auto& shard : shards_) shard.store(new Table(kInitialCapacity));
}

AudienceStore::~AudienceStore() {
  for (auto& shard : shards_) {
    const Table* table = shard.load();
    for (size_t i = 0; i < table->capacity(); ++i) {
      if (const Members* m = table->slots[i].members.load()) Members::Free(m);
    }
    delete table;
  }
}

void AudienceStore::Lookup(const EpochDomain::ReadGuard&, const AudienceKey& raw_key, Day today,
                           std::vector<SegmentId>* out) const {
  const AudienceKey key = Normalize(raw_key);
  const uint64_t spread = Spread(key);
  const Table* table = shards_[spread >> (64 - kShardBits)].load(std::memory_order_seq_cst);
  for (uint64_t i = spread & table->mask;; i = (i + 1) & table->mask) {
    const Table::Slot& slot = table->slots[i];
    const uint64_t hi = slot.hi.load(std::memory_order_acquire);
    if (hi == 0) return;
    if (hi != key.hi || slot.lo.load(std::memory_order_relaxed) != key.lo) continue;
    const Members* m = slot.members.load(std::memory_order_acquire);
    if (m == nullptr) return;
    for (uint32_t k = 0; k < m->count; ++k) {
      if (m->base_day + static_cast<Day>(m->items[k] & 0xff) >= today) {
        out->push_back(m->items[k] >> 8);
      }
    }
    return;
  }
}

void AudienceStore::LookupBatch(const EpochDomain::ReadGuard& guard, const AudienceKey* keys,
                                size_t count, Day today, std::vector<SegmentId>* out) const {
  constexpr size_t kWindow = 16;
  const Table* tables[kWindow];
  uint64_t spreads[kWindow];
  const Members* members[kWindow];
  for (size_t base = 0; base < count; base += kWindow) {
    const size_t n = std::min(kWindow, count - base);
    // 1: fetch every key's home slot.
    for (size_t i = 0; i < n; ++i) {
      spreads[i] = Spread(Normalize(keys[base + i]));
      tables[i] = shards_[spreads[i] >> (64 - kShardBits)].load(std::memory_order_seq_cst);
      __builtin_prefetch(&tables[i]->slots[spreads[i] & tables[i]->mask]);
    }
    // 2: probe, and fetch the membership lists found.
    for (size_t i = 0; i < n; ++i) {
      const AudienceKey key = Normalize(keys[base + i]);
      members[i] = nullptr;
      for (uint64_t s = spreads[i] & tables[i]->mask;; s = (s + 1) & tables[i]->mask) {
        const Table::Slot& slot = tables[i]->slots[s];
        const uint64_t hi = slot.hi.load(std::memory_order_acquire);
        if (hi == 0) break;
        if (hi == key.hi && slot.lo.load(std::memory_order_relaxed) == key.lo) {
          members[i] = slot.members.load(std::memory_order_acquire);
          if (members[i] != nullptr) __builtin_prefetch(members[i]);
          break;
        }
      }
    }
    // 3: copy out the live ones.
    for (size_t i = 0; i < n; ++i) {
      std::vector<SegmentId>& segments = out[base + i];
      segments.clear();
      const Members* m = members[i];
      if (m == nullptr) continue;
      for (uint32_t k = 0; k < m->count; ++k) {
        if (m->base_day + static_cast<Day>(m->items[k] & 0xff) >= today) {
          segments.push_back(m->items[k] >> 8);
        }
      }
    }
  }
  (void)guard;
}

const AudienceStore::Members* AudienceStore::ApplyUser(size_t shard, const AudienceKey& key,
                                                       const AudienceUpdate* begin,
                                                       const AudienceUpdate* end, Day today,
                                                       std::vector<const Table*>* retired_tables) {
  const Table* table = shards_[shard].load();
  const uint64_t spread = Spread(key);
  // Find the key's slot, or the empty slot where it goes.
  uint64_t i = spread & table->mask;
  for (;; i = (i + 1) & table->mask) {
    const uint64_t hi = table->slots[i].hi.load(std::memory_order_relaxed);
    if (hi == 0 || (hi == key.hi && table->slots[i].lo.load(std::memory_order_relaxed) == key.lo)) {
      break;
    }
  }
  const Members* old = table->slots[i].members.load(std::memory_order_relaxed);

  // The user's live memberships, then the updates in order (later ones win).
  struct Item {
    SegmentId segment;
    Day expires;
  };
  std::vector<Item> items;
  if (old != nullptr) {
    for (uint32_t k = 0; k < old->count; ++k) {
      const Day expires = old->base_day + static_cast<Day>(old->items[k] & 0xff);
      if (expires >= today) items.push_back({old->items[k] >> 8, expires});
    }
  }
  for (const AudienceUpdate* u = begin; u != end; ++u) {
    auto it = std::find_if(items.begin(), items.end(),
                           [&](const Item& x) { return x.segment == u->segment; });
    if (u->remove) {
      if (it != items.end()) items.erase(it);
    } else if (u->expires >= today) {
      if (it != items.end()) {
        it->expires = u->expires;
      } else {
        items.push_back({u->segment, u->expires});
      }
    }
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.segment < b.segment; });
  Members* next = nullptr;
  if (!items.empty()) {
    next = Members::Make(today, static_cast<uint32_t>(items.size()));
    for (size_t k = 0; k < items.size(); ++k) {
      const Day offset = std::clamp<Day>(items[k].expires - today, 0, kMaxTtlDays);
      next->items[k] = (items[k].segment << 8) | static_cast<uint32_t>(offset);
    }
  }
  users_ += (next != nullptr) - (old != nullptr);
  memberships_ += (next ? next->count : 0);
  memberships_ -= (old ? old->count : 0);

  Table* writable = const_cast<Table*>(table);
  const bool is_new = writable->slots[i].hi.load(std::memory_order_relaxed) == 0;
  if (!is_new) {
    writable->slots[i].members.store(next, std::memory_order_release);
    return old;
  }
  if (next == nullptr) return nullptr;  // nothing to add for an unknown user
  if ((writable->used + 1) * 4 > writable->capacity() * 3) {
    // Grow: copy the occupied slots (lists are shared, not copied) into a table twice as large,
    // publish it, and retire the old table once readers are done with it.
    auto* grown = new Table(writable->capacity() * 2);
    for (size_t s = 0; s < writable->capacity(); ++s) {
      const Table::Slot& from = writable->slots[s];
      const uint64_t hi = from.hi.load(std::memory_order_relaxed);
      if (hi == 0) continue;
      const uint64_t lo = from.lo.load(std::memory_order_relaxed);
      uint64_t j = Spread(AudienceKey{hi, lo}) & grown->mask;
      while (grown->slots[j].hi.load(std::memory_order_relaxed) != 0) j = (j + 1) & grown->mask;
      grown->slots[j].lo.store(lo, std::memory_order_relaxed);
      grown->slots[j].members.store(from.members.load(std::memory_order_relaxed),
                                    std::memory_order_relaxed);
      grown->slots[j].hi.store(hi, std::memory_order_relaxed);
      ++grown->used;
    }
    retired_tables->push_back(writable);
    shards_[shard].store(grown, std::memory_order_seq_cst);
    writable = grown;
    i = spread & writable->mask;
    while (writable->slots[i].hi.load(std::memory_order_relaxed) != 0) i = (i + 1) & writable->mask;
  }
  Table::Slot& slot = writable->slots[i];
  slot.lo.store(key.lo, std::memory_order_relaxed);
  slot.members.store(next, std::memory_order_relaxed);
  slot.hi.store(key.hi, std::memory_order_release);  // publishes the slot
  ++writable->used;
  return nullptr;
}

void AudienceStore::Apply(std::vector<AudienceUpdate> updates, Day today) {
  absl::MutexLock lock(&writer_mu_);
  for (AudienceUpdate& u : updates) u.key = Normalize(u.key);
  std::stable_sort(updates.begin(), updates.end(),
                   [](const AudienceUpdate& a, const AudienceUpdate& b) { return a.key < b.key; });
  std::vector<const Members*> retired;
  std::vector<const Table*> retired_tables;
  for (size_t i = 0; i < updates.size();) {
    size_t j = i;
    while (j < updates.size() && updates[j].key == updates[i].key) ++j;
    const AudienceKey key = updates[i].key;
    if (const Members* old = ApplyUser(ShardOf(key), key, updates.data() + i, updates.data() + j,
                                       today, &retired_tables)) {
      retired.push_back(old);
    }
    i = j;
  }
  if (retired.empty() && retired_tables.empty()) return;
  domain_.Synchronize();
  for (const Members* m : retired) Members::Free(m);
  for (const Table* t : retired_tables) delete t;
}

size_t AudienceStore::Sweep(Day today) {
  absl::MutexLock lock(&writer_mu_);
  std::vector<const Members*> retired;
  std::vector<const Table*> retired_tables;
  size_t dropped = 0;
  auto live = [today](const Members* m) {
    if (m == nullptr) return false;
    for (uint32_t k = 0; k < m->count; ++k) {
      if (m->base_day + static_cast<Day>(m->items[k] & 0xff) >= today) return true;
    }
    return false;
  };
  for (size_t shard = 0; shard < kShards; ++shard) {
    const Table* table = shards_[shard].load();
    size_t dead = 0;
    for (size_t s = 0; s < table->capacity(); ++s) {
      if (table->slots[s].hi.load() != 0 && !live(table->slots[s].members.load())) ++dead;
    }
    if (dead == 0 || dead * 4 < table->used) continue;
    const size_t keep = table->used - dead;
    size_t capacity = kInitialCapacity;
    while (keep * 4 >= capacity * 3) capacity *= 2;
    auto* fresh = new Table(capacity);
    for (size_t s = 0; s < table->capacity(); ++s) {
      const Table::Slot& from = table->slots[s];
      const uint64_t hi = from.hi.load();
      if (hi == 0) continue;
      const Members* m = from.members.load();
      if (!live(m)) {
        if (m != nullptr) {
          retired.push_back(m);
          users_ -= 1;
          memberships_ -= m->count;
        }
        ++dropped;
        continue;
      }
      const uint64_t lo = from.lo.load();
      uint64_t j = Spread(AudienceKey{hi, lo}) & fresh->mask;
      while (fresh->slots[j].hi.load(std::memory_order_relaxed) != 0) j = (j + 1) & fresh->mask;
      fresh->slots[j].lo.store(lo, std::memory_order_relaxed);
      fresh->slots[j].members.store(m, std::memory_order_relaxed);
      fresh->slots[j].hi.store(hi, std::memory_order_relaxed);
      ++fresh->used;
    }
    shards_[shard].store(fresh, std::memory_order_seq_cst);
    retired_tables.push_back(table);
  }
  if (!retired.empty() || !retired_tables.empty()) {
    domain_.Synchronize();
    for (const Members* m : retired) Members::Free(m);
    for (const Table* t : retired_tables) delete t;
  }
  return dropped;
}

void AudienceStore::ForEachMembership(
    Day today, const std::function<void(const AudienceKey&, SegmentId, Day)>& fn) const {
  absl::MutexLock lock(&writer_mu_);  // nothing is retired while we walk
  for (const auto& shard : shards_) {
    const Table* table = shard.load();
    for (size_t s = 0; s < table->capacity(); ++s) {
      const Table::Slot& slot = table->slots[s];
      const Members* m = slot.members.load();
      if (slot.hi.load() == 0 || m == nullptr) continue;
      const AudienceKey key{slot.hi.load(), slot.lo.load()};
      for (uint32_t k = 0; k < m->count; ++k) {
        const Day expires = m->base_day + static_cast<Day>(m->items[k] & 0xff);
        if (expires >= today) fn(key, m->items[k] >> 8, expires);
      }
    }
  }
}

size_t AudienceStore::MemoryBytes() const {
  absl::MutexLock lock(&writer_mu_);
  size_t bytes = sizeof(*this);
  for (const auto& shard : shards_) {
    const Table* table = shard.load();
    bytes += sizeof(Table) + table->capacity() * sizeof(Table::Slot);
    for (size_t s = 0; s < table->capacity(); ++s) {
      if (const Members* m = table->slots[s].members.load()) {
        // What the allocator really holds: the usable size plus its chunk header.
        bytes += malloc_usable_size(const_cast<Members*>(m)) + sizeof(size_t);
      }
    }
  }
  return bytes;
}

}  // namespace vetrina::engine
