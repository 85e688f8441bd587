#include "engine/testing/targeting_index.h"

#include <algorithm>
#include <tuple>

#include "base/strings.h"

namespace vetrina::engine {
namespace {

// One-letter attribute tags keep keys of different attributes apart.
constexpr char kCountry = 'c';
constexpr char kRegion = 'r';
constexpr char kOs = 'o';
constexpr char kDeviceType = 'd';
constexpr char kConnectionType = 'n';
constexpr char kBundle = 'b';
constexpr char kCategory = 'a';
constexpr char kPublisher = 'p';
constexpr char kLanguage = 'l';
constexpr char kHour = 'h';
constexpr char kSegment = 's';
constexpr char kZ = 'Z';  // the partition-0 list every K=0 conjunction is in

void MakeKey(char tag, std::string_view value, std::string* key) {
  key->clear();
  key->push_back(tag);
  key->push_back('\0');
  key->append(value);
}

void MakeKey(char tag, int value, std::string* key) {
  key->clear();
  key->push_back(tag);
  key->push_back('\0');
  StrAppend(key, value);
}

constexpr uint64_t ListKey(int k, uint32_t key_id) {
  return (static_cast<uint64_t>(k) << 32) | key_id;
}

struct Posting {
  int k;
  uint32_t key_id;
  uint32_t entry;  // (id << 1) | in
  friend bool operator<(const Posting& a, const Posting& b) {
    return std::tie(a.k, a.key_id, a.entry) < std::tie(b.k, b.key_id, b.entry);
  }
  friend bool operator==(const Posting& a, const Posting& b) {
    return a.k == b.k && a.key_id == b.key_id && a.entry == b.entry;
  }
};

// Collects one conjunction's predicates as (key, in) with K, keeping each "in" predicate's keys
// disjoint from the others' (an overlapping predicate is left to the exact check).
class ConjunctionBuilder {
 public:
  template <typename T>
  void Dimension(char tag, const engine::Dimension<T>& dim) {
    AddIn(tag, dim.include);
    for (const T& v : dim.exclude) Add(tag, v, /*in=*/false);
  }

  template <typename T>
  void AddIn(char tag, const std::vector<T>& values) {
    if (values.empty()) return;
    std::vector<std::string> keys;
    for (const T& v : values) {
      std::string key;
      MakeKey(tag, v, &key);
      if (std::find(in_keys_.begin(), in_keys_.end(), key) != in_keys_.end()) return;
      keys.push_back(std::move(key));
    }
    for (std::string& key : keys) {
      in_keys_.push_back(key);
      predicates_.emplace_back(std::move(key), true);
    }
    ++k_;
  }

  template <typename T>
  void Add(char tag, const T& value, bool in) {
    std::string key;
    MakeKey(tag, value, &key);
    predicates_.emplace_back(std::move(key), in);
  }

  int k() const { return k_; }
  const std::vector<std::pair<std::string, bool>>& predicates() const { return predicates_; }

 private:
  int k_ = 0;
  std::vector<std::string> in_keys_;
  std::vector<std::pair<std::string, bool>> predicates_;
};

}  // namespace

TargetingIndex::TargetingIndex(const std::vector<const Targeting*>& targetings) {
  std::vector<Posting> postings;
  auto key_id = [this](const std::string& key) {
    auto [it, inserted] = key_ids_.try_emplace(key, static_cast<uint32_t>(key_ids_.size()));
    return it->second;
  };
  std::string z_key;
  MakeKey(kZ, "", &z_key);
  for (uint32_t id = 0; id < targetings.size(); ++id) {
    const Targeting* t = targetings[id];
    if (t == nullptr) continue;
    ConjunctionBuilder b;
    b.Dimension(kCountry, t->country);
    b.Dimension(kRegion, t->region);
    b.Dimension(kOs, t->os);
    b.Dimension(kDeviceType, t->device_type);
    b.Dimension(kConnectionType, t->connection_type);
    b.Dimension(kBundle, t->app_bundle);
    b.Dimension(kCategory, t->app_category);
    b.Dimension(kPublisher, t->publisher);
    b.Dimension(kLanguage, t->language);
    b.Dimension(kHour, t->hour_of_week);
    b.AddIn(kSegment, t->audiences.any_of);
    for (const std::string& s : t->audiences.all_of) b.AddIn(kSegment, std::vector{s});
    for (const std::string& s : t->audiences.exclude) b.Add(kSegment, s, /*in=*/false);
    const int k = b.k();
    for (const auto& [key, in] : b.predicates()) {
      postings.push_back({k, key_id(key), (id << 1) | (in ? 1u : 0u)});
    }
    if (k == 0) postings.push_back({0, key_id(z_key), (id << 1) | 1u});
    max_k_ = std::max(max_k_, k);
  }
  std::sort(postings.begin(), postings.end());
  postings.erase(std::unique(postings.begin(), postings.end()), postings.end());
  entries_.reserve(postings.size());
  partition_present_.assign(max_k_ + 1, false);
  for (size_t i = 0; i < postings.size();) {
    const Posting& first = postings[i];
    ListRef ref{static_cast<uint32_t>(entries_.size()), 0};
    size_t j = i;
    for (; j < postings.size() && postings[j].k == first.k && postings[j].key_id == first.key_id;
         ++j) {
      entries_.push_back(postings[j].entry);
    }
    ref.end = static_cast<uint32_t>(entries_.size());
    lists_[ListKey(first.k, first.key_id)] = ref;
    partition_present_[first.k] = true;
    i = j;
  }
}

void TargetingIndex::AddList(int k, Scratch* s) const {
  auto key = key_ids_.find(s->key);
  if (key == key_ids_.end()) return;
  auto list = lists_.find(ListKey(k, key->second));
  if (list == lists_.end()) return;
  s->begins.push_back(entries_.data() + list->second.begin);
  s->ends.push_back(entries_.data() + list->second.end);
}

void TargetingIndex::CollectLists(int k, const RequestFacts& f, Scratch* s) const {
  s->begins.clear();
  s->ends.clear();
  auto add = [&](char tag, auto value) {
    MakeKey(tag, value, &s->key);
    AddList(k, s);
  };
  if (!f.country.empty()) add(kCountry, f.country);
  if (!f.region.empty()) add(kRegion, f.region);
  if (!f.os.empty()) add(kOs, f.os);
  add(kDeviceType, f.device_type);
  add(kConnectionType, f.connection_type);
  if (!f.app_bundle.empty()) add(kBundle, f.app_bundle);
  if (f.app_categories != nullptr) {
    for (const std::string& c : *f.app_categories) add(kCategory, std::string_view(c));
  }
  if (!f.publisher.empty()) add(kPublisher, f.publisher);
  if (!f.language.empty()) add(kLanguage, f.language);
  add(kHour, f.hour_of_week);
  if (f.segments != nullptr) {
    for (const std::string& seg : *f.segments) add(kSegment, std::string_view(seg));
  }
  if (k == 0) add(kZ, std::string_view());
}

void TargetingIndex::Candidates(const RequestFacts& facts, Scratch* s,
                                std::vector<uint32_t>* ids) const {
  ids->clear();
  for (int k = max_k_; k >= 0; --k) {
    if (!partition_present_[k]) continue;
    CollectLists(k, facts, s);
    const size_t need = static_cast<size_t>(std::max(k, 1));
    const size_t n = s->begins.size();
    if (n < need) continue;
    // Cursors, kept sorted by their current entry; an exhausted list sorts last.
    std::vector<const uint32_t*>& cur = s->begins;
    std::vector<const uint32_t*>& end = s->ends;
    std::vector<uint32_t>& order = s->list_ids;
    order.resize(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    auto value = [&](uint32_t l) -> uint64_t {
      return cur[l] == end[l] ? UINT64_MAX : static_cast<uint64_t>(*cur[l]);
    };
    auto sort_lists = [&] {
      for (size_t i = 1; i < n; ++i) {
        const uint32_t l = order[i];
        const uint64_t v = value(l);
        size_t j = i;
        for (; j > 0 && value(order[j - 1]) > v; --j) order[j] = order[j - 1];
        order[j] = l;
      }
    };
    auto skip_to = [&](uint32_t l, uint32_t id) {
      cur[l] = std::lower_bound(cur[l], end[l], id << 1);
    };
    sort_lists();
    while (value(order[need - 1]) != UINT64_MAX) {
      const uint32_t first_id = *cur[order[0]] >> 1;
      const uint32_t kth_id = *cur[order[need - 1]] >> 1;
      if (first_id == kth_id) {
        // At least K lists point at this id. A "not in" entry sorts first and rejects it;
        // otherwise it is a candidate. Either way every list moves past it, so an id reached
        // through two values of a multi-valued attribute is reported once.
        if ((*cur[order[0]] & 1u) != 0) ids->push_back(first_id);
        for (size_t i = 0; i < n; ++i) {
          const uint32_t l = order[i];
          if (cur[l] != end[l] && (*cur[l] >> 1) == first_id) skip_to(l, first_id + 1);
        }
      } else {
        for (size_t i = 0; i + 1 < need; ++i) skip_to(order[i], kth_id);
      }
      sort_lists();
    }
  }
  std::sort(ids->begin(), ids->end());
}

size_t TargetingIndex::MemoryBytes() const {
  size_t bytes = entries_.capacity() * sizeof(uint32_t);
  bytes += lists_.capacity() * (sizeof(uint64_t) + sizeof(ListRef) + 1);
  bytes += key_ids_.capacity() * (sizeof(std::string) + sizeof(uint32_t) + 1);
  for (const auto& [key, id] : key_ids_) {
    if (key.capacity() > 15) bytes += key.capacity();
  }
  return bytes;
}

}  // namespace vetrina::engine
