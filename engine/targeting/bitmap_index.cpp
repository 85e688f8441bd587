#include "engine/targeting/bitmap_index.h"

#include <algorithm>

#include "absl/strings/string_view.h"
#include "base/strings.h"

namespace vetrina::engine {

void Bitset::AssignAll(bool value) {
  std::fill(words_.begin(), words_.end(), value ? ~uint64_t{0} : 0);
  TrimTail();
}

void Bitset::And(const Bitset& other) {
  uint64_t* a = words_.data();
  const uint64_t* b = other.words_.data();
  for (size_t i = 0, n = words_.size(); i < n; ++i) a[i] &= b[i];
}

void Bitset::Or(const Bitset& other) {
  uint64_t* a = words_.data();
  const uint64_t* b = other.words_.data();
  for (size_t i = 0, n = words_.size(); i < n; ++i) a[i] |= b[i];
}

void Bitset::AndNot(const Bitset& other) {
  uint64_t* a = words_.data();
  const uint64_t* b = other.words_.data();
  for (size_t i = 0, n = words_.size(); i < n; ++i) a[i] &= ~b[i];
}

size_t Bitset::Count() const {
  size_t count = 0;
  for (uint64_t w : words_) count += static_cast<size_t>(__builtin_popcountll(w));
  return count;
}

namespace {

// A value held by more than 1/128 of the campaigns becomes a bitset: it then costs one fused
// word pass instead of a random bit test per id (perf/index_benchmark.cpp, at 1M campaigns:
// p99 233 us with 1/32, 119 us with 1/128), for at most 4x the memory of its id list.
bool ShouldBeDense(size_t ids, size_t n) { return ids * 128 > n; }

template <typename T>
std::string ValueKey(const T& v) {
  if constexpr (std::is_same_v<T, int>) {
    return StrCat(v);
  } else {
    return std::string(v);
  }
}

}  // namespace

BitmapIndex::BitmapIndex(const std::vector<const Targeting*>& targetings)
    : n_(targetings.size()), active_(targetings.size()) {
  for (DimensionIndex& d : dims_) d.any = Bitset(n_, true);
  auto add_list = [](absl::flat_hash_map<std::string, Posting>& map, const std::string& key,
                     uint32_t id) { map[key].ids.push_back(id); };
  for (uint32_t id = 0; id < n_; ++id) {
    const Targeting* t = targetings[id];
    if (t == nullptr) continue;
    active_.Set(id);
    auto index = [&](Dim dim, const auto& dimension) {
      DimensionIndex& d = dims_[dim];
      if (!dimension.include.empty()) {
        d.targeted = true;
        d.any.Clear(id);
        for (const auto& v : dimension.include) add_list(d.include, ValueKey(v), id);
      }
      for (const auto& v : dimension.exclude) {
        d.targeted = true;
        add_list(d.exclude, ValueKey(v), id);
      }
    };
    index(kCountry, t->country);
    index(kRegion, t->region);
    index(kOs, t->os);
    index(kDeviceType, t->device_type);
    index(kConnectionType, t->connection_type);
    index(kBundle, t->app_bundle);
    index(kCategory, t->app_category);
    index(kPublisher, t->publisher);
    index(kLanguage, t->language);
    index(kHour, t->hour_of_week);
    // Audiences: any_of is an include list over the user's segments, exclude an exclude list;
    // all_of is not indexed (the residual check in the snapshot handles it).
    Dimension<std::string> segments{t->audiences.any_of, t->audiences.exclude};
    index(kSegment, segments);
  }
  for (DimensionIndex& d : dims_) {
    for (auto* map : {&d.include, &d.exclude}) {
      for (auto& [key, posting] : *map) {
        std::sort(posting.ids.begin(), posting.ids.end());
        posting.ids.erase(std::unique(posting.ids.begin(), posting.ids.end()), posting.ids.end());
        if (ShouldBeDense(posting.ids.size(), n_)) {
          posting.dense = true;
          posting.bits = Bitset(n_);
          for (uint32_t id : posting.ids) posting.bits.Set(id);
          posting.ids = {};
        } else {
          posting.ids.shrink_to_fit();
        }
      }
    }
  }
}

const BitmapIndex::Posting* BitmapIndex::Find(const absl::flat_hash_map<std::string, Posting>& map,
                                              std::string_view value) const {
  if (map.empty()) return nullptr;
  auto it = map.find(absl::string_view(value.data(), value.size()));
  return it == map.end() ? nullptr : &it->second;
}

void BitmapIndex::ApplyDimension(const DimensionIndex& dim,
                                 const std::vector<std::string_view>& values, Scratch* s,
                                 Bitset* out) const {
  if (!dim.targeted) return;
  // out &= any | include(values), minus exclude(values). Dense postings join one fused pass
  // over the words; sparse include ids still in `out` are remembered and put back after it;
  // sparse exclude ids are cleared one by one.
  s->saved.clear();
  const Bitset* dense_include = nullptr;
  const Bitset* dense_exclude = nullptr;
  bool widened = false;  // more than one dense include: merged into s->dimension
  for (std::string_view v : values) {
    const Posting* p = Find(dim.include, v);
    if (p == nullptr) continue;
    if (!p->dense) {
      for (uint32_t id : p->ids) {
        if (out->Test(id)) s->saved.push_back(id);
      }
    } else if (dense_include == nullptr) {
      dense_include = &p->bits;
    } else {
      if (!widened) {
        s->dimension.AssignFrom(*dense_include);
        dense_include = &s->dimension;
        widened = true;
      }
      s->dimension.Or(p->bits);
    }
  }
  for (std::string_view v : values) {
    const Posting* p = Find(dim.exclude, v);
    if (p == nullptr) continue;
    if (p->dense && dense_exclude == nullptr) {
      dense_exclude = &p->bits;
    } else {
      s->sparse_excludes.push_back(p);
    }
  }
  uint64_t* o = out->words().data();
  const uint64_t* any = dim.any.words().data();
  const size_t n = out->words().size();
  // Includes first (the fused pass, then the sparse ones put back), excludes last: an exclusion
  // always wins over an inclusion of another of the request's values.
  if (dense_include != nullptr) {
    const uint64_t* inc = dense_include->words().data();
    if (dense_exclude != nullptr && s->saved.empty()) {
      const uint64_t* exc = dense_exclude->words().data();
      for (size_t i = 0; i < n; ++i) o[i] &= (any[i] | inc[i]) & ~exc[i];
      dense_exclude = nullptr;
    } else {
      for (size_t i = 0; i < n; ++i) o[i] &= any[i] | inc[i];
    }
  } else if (dense_exclude != nullptr && s->saved.empty()) {
    const uint64_t* exc = dense_exclude->words().data();
    for (size_t i = 0; i < n; ++i) o[i] &= any[i] & ~exc[i];
    dense_exclude = nullptr;
  } else {
    for (size_t i = 0; i < n; ++i) o[i] &= any[i];
  }
  for (uint32_t id : s->saved) out->Set(id);
  if (dense_exclude != nullptr) {
    const uint64_t* exc = dense_exclude->words().data();
    for (size_t i = 0; i < n; ++i) o[i] &= ~exc[i];
  }
  for (const Posting* p : s->sparse_excludes) {
    if (p->dense) {
      const uint64_t* exc = p->bits.words().data();
      for (size_t i = 0; i < n; ++i) o[i] &= ~exc[i];
    } else {
      for (uint32_t id : p->ids) out->Clear(id);
    }
  }
  s->sparse_excludes.clear();
}

void BitmapIndex::Match(const RequestFacts& f, Scratch* s, Bitset* out) const {
  out->AssignFrom(active_);
  std::vector<std::string_view> values;
  std::string numbers[3];
  auto single = [&](Dim dim, std::string_view value) {
    values.clear();
    if (!value.empty()) values.push_back(value);
    ApplyDimension(dims_[dim], values, s, out);
  };
  auto number = [&](Dim dim, int value, std::string* buffer) {
    buffer->clear();
    StrAppend(buffer, value);
    single(dim, *buffer);
  };
  auto multi = [&](Dim dim, const std::vector<std::string>* list) {
    values.clear();
    if (list != nullptr) {
      for (const std::string& v : *list) values.push_back(v);
    }
    ApplyDimension(dims_[dim], values, s, out);
  };
  single(kCountry, f.country);
  single(kRegion, f.region);
  single(kOs, f.os);
  number(kDeviceType, f.device_type, &numbers[0]);
  number(kConnectionType, f.connection_type, &numbers[1]);
  single(kBundle, f.app_bundle);
  multi(kCategory, f.app_categories);
  single(kPublisher, f.publisher);
  single(kLanguage, f.language);
  number(kHour, f.hour_of_week, &numbers[2]);
  multi(kSegment, f.segments);
}

size_t BitmapIndex::MemoryBytes() const {
  size_t bytes = active_.MemoryBytes();
  for (const DimensionIndex& d : dims_) {
    bytes += d.any.MemoryBytes();
    for (const auto* map : {&d.include, &d.exclude}) {
      bytes += map->capacity() * (sizeof(std::string) + sizeof(Posting) + 1);
      for (const auto& [key, posting] : *map) {
        bytes += posting.ids.capacity() * sizeof(uint32_t) + posting.bits.MemoryBytes();
        if (key.capacity() > 15) bytes += key.capacity();
      }
    }
  }
  return bytes;
}

}  // namespace vetrina::engine
