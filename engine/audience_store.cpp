#include "engine/audience_store.h"

#include <algorithm>
#include <bit>

namespace vetrina::engine {

struct AudienceStore::Shard {
  struct Slot {
    uint64_t hi = 0;
    uint64_t lo = 0;
    uint32_t offset = 0;  // into memberships
    uint16_t count = 0;
    uint16_t used = 0;
  };
  static_assert(sizeof(Slot) == 24);

  Day base_day = 0;
  uint64_t mask = 0;  // slots.size() - 1
  std::vector<Slot> slots;
  std::vector<uint32_t> memberships;  // (segment << 8) | (expires - base_day)
  size_t users = 0;

  const Slot* Find(const AudienceKey& key) const {
    if (slots.empty()) return nullptr;
    for (uint64_t i = key.lo & mask;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (!s.used) return nullptr;
      if (s.hi == key.hi && s.lo == key.lo) return &s;
    }
  }

  size_t MemoryBytes() const {
    return sizeof(Shard) + slots.capacity() * sizeof(Slot) +
           memberships.capacity() * sizeof(uint32_t);
  }
};

namespace {

constexpr uint32_t Pack(SegmentId segment, Day expires, Day base_day) {
  const Day offset = std::clamp<Day>(expires - base_day, 0, kMaxTtlDays);
  return (segment << 8) | static_cast<uint32_t>(offset);
}

struct Membership {
  SegmentId segment;
  Day expires;
};

}  // namespace

AudienceStore::AudienceStore(EpochDomain& domain) : domain_(domain) {
  for (auto& shard : shards_) shard.store(new Shard());
}

AudienceStore::~AudienceStore() {
  for (auto& shard : shards_) delete shard.load();
}

void AudienceStore::Lookup(const EpochDomain::ReadGuard&, const AudienceKey& key, Day today,
                           std::vector<SegmentId>* out) const {
  const Shard* shard = shards_[ShardOf(key)].load(std::memory_order_seq_cst);
  const Shard::Slot* slot = shard->Find(key);
  if (slot == nullptr) return;
  const uint32_t* m = shard->memberships.data() + slot->offset;
  for (uint16_t i = 0; i < slot->count; ++i) {
    if (shard->base_day + static_cast<Day>(m[i] & 0xff) >= today) out->push_back(m[i] >> 8);
  }
}

std::unique_ptr<AudienceStore::Shard> AudienceStore::Rebuild(const Shard* old,
                                                             const AudienceUpdate* begin,
                                                             const AudienceUpdate* end,
                                                             Day today) const {
  // Every user of the old shard and of the batch, with their live memberships.
  std::vector<std::pair<AudienceKey, std::vector<Membership>>> users;
  users.reserve(old->users + static_cast<size_t>(end - begin));
  for (const Shard::Slot& s : old->slots) {
    if (!s.used) continue;
    std::vector<Membership> m;
    for (uint16_t i = 0; i < s.count; ++i) {
      const uint32_t packed = old->memberships[s.offset + i];
      const Day expires = old->base_day + static_cast<Day>(packed & 0xff);
      if (expires >= today) m.push_back({packed >> 8, expires});
    }
    users.emplace_back(AudienceKey{s.hi, s.lo}, std::move(m));
  }
  std::sort(users.begin(), users.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Merge the batch in: updates arrive sorted by key, stably, so later updates to a
  // membership come later and win.
  std::vector<std::pair<AudienceKey, std::vector<Membership>>> merged;
  merged.reserve(users.size() + static_cast<size_t>(end - begin));
  size_t next_old = 0;
  for (const AudienceUpdate* u = begin; u != end;) {
    const AudienceKey key = u->key;
    while (next_old < users.size() && users[next_old].first < key) {
      merged.push_back(std::move(users[next_old++]));
    }
    std::vector<Membership> m;
    if (next_old < users.size() && users[next_old].first == key) {
      m = std::move(users[next_old++].second);
    }
    for (; u != end && u->key == key; ++u) {
      auto existing = std::find_if(m.begin(), m.end(),
                                   [&](const Membership& x) { return x.segment == u->segment; });
      if (u->remove) {
        if (existing != m.end()) m.erase(existing);
      } else if (u->expires >= today) {
        if (existing != m.end()) {
          existing->expires = u->expires;
        } else {
          m.push_back({u->segment, u->expires});
        }
      }
    }
    merged.emplace_back(key, std::move(m));
  }
  while (next_old < users.size()) merged.push_back(std::move(users[next_old++]));
  users = std::move(merged);

  auto shard = std::make_unique<Shard>();
  shard->base_day = today;
  size_t live_users = 0, total = 0;
  for (const auto& [key, m] : users) {
    if (!m.empty()) {
      ++live_users;
      total += std::min<size_t>(m.size(), UINT16_MAX);
    }
  }
  if (live_users == 0) return shard;
  const size_t capacity = std::bit_ceil(live_users + live_users / 3 + 1);
  shard->slots.assign(capacity, Shard::Slot{});
  shard->mask = capacity - 1;
  shard->memberships.reserve(total);
  shard->users = live_users;
  for (auto& [key, m] : users) {
    if (m.empty()) continue;
    std::sort(m.begin(), m.end(),
              [](const Membership& a, const Membership& b) { return a.segment < b.segment; });
    if (m.size() > UINT16_MAX) m.resize(UINT16_MAX);
    uint64_t i = key.lo & shard->mask;
    while (shard->slots[i].used) i = (i + 1) & shard->mask;
    Shard::Slot& slot = shard->slots[i];
    slot.hi = key.hi;
    slot.lo = key.lo;
    slot.used = 1;
    slot.offset = static_cast<uint32_t>(shard->memberships.size());
    slot.count = static_cast<uint16_t>(m.size());
    for (const Membership& x : m) shard->memberships.push_back(Pack(x.segment, x.expires, today));
  }
  return shard;
}

void AudienceStore::Apply(std::vector<AudienceUpdate> updates, Day today) {
  absl::MutexLock lock(&writer_mu_);
  std::stable_sort(updates.begin(), updates.end(),
                   [](const AudienceUpdate& a, const AudienceUpdate& b) {
                     const size_t sa = ShardOf(a.key), sb = ShardOf(b.key);
                     if (sa != sb) return sa < sb;
                     return a.key < b.key;
                   });
  std::vector<const Shard*> retired;
  for (size_t i = 0; i < updates.size();) {
    const size_t shard_index = ShardOf(updates[i].key);
    size_t j = i;
    while (j < updates.size() && ShardOf(updates[j].key) == shard_index) ++j;
    const Shard* old = shards_[shard_index].load();
    std::unique_ptr<Shard> next = Rebuild(old, updates.data() + i, updates.data() + j, today);
    users_ += next->users;
    users_ -= old->users;
    memberships_ += next->memberships.size();
    memberships_ -= old->memberships.size();
    shards_[shard_index].store(next.release(), std::memory_order_seq_cst);
    retired.push_back(old);
    i = j;
  }
  if (retired.empty()) return;
  domain_.Synchronize();
  for (const Shard* s : retired) delete s;
}

void AudienceStore::ForEachMembership(
    Day today, const std::function<void(const AudienceKey&, SegmentId, Day)>& fn) const {
  absl::MutexLock lock(&writer_mu_);  // shards cannot be freed while we walk them
  for (const auto& cell : shards_) {
    const Shard* shard = cell.load();
    for (const Shard::Slot& s : shard->slots) {
      if (!s.used) continue;
      for (uint16_t i = 0; i < s.count; ++i) {
        const uint32_t packed = shard->memberships[s.offset + i];
        const Day expires = shard->base_day + static_cast<Day>(packed & 0xff);
        if (expires >= today) fn(AudienceKey{s.hi, s.lo}, packed >> 8, expires);
      }
    }
  }
}

size_t AudienceStore::MemoryBytes() const {
  absl::MutexLock lock(&writer_mu_);
  size_t bytes = sizeof(*this);
  for (const auto& cell : shards_) bytes += cell.load()->MemoryBytes();
  return bytes;
}

}  // namespace vetrina::engine
