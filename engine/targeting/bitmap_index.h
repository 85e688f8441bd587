// The targeting index the bid path uses: per dimension, the campaigns that do not target it
// ("any") as a bitset, and per value the campaigns that include or exclude it (a sorted id list,
// or a bitset when the value is common). A request ANDs, dimension by dimension, "any, or
// includes one of my values" and clears "excludes one of my values". The answer is exact for
// every indexed dimension, costs O(campaigns / 64) word operations per targeted dimension
// whatever the selectivity, and comes back as a bitset in rank order.
//
// Why not only the Whang et al. index (targeting_index.h): its skip-merge is output-sensitive,
// and a typical in-app request matches thousands of campaigns at request level; at that
// selectivity word-parallel set algebra is several times faster (perf/index_benchmark.cpp;
// docs/benchmarks.md).
//
//   BitmapIndex index(targetings);                 // off the hot path
//   index.Match(facts, &scratch, &bits);           // per request
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/core/targeting.h"

namespace vetrina::engine {

// A fixed-size set of campaign ids.
class Bitset {
 public:
  Bitset() = default;
  explicit Bitset(size_t n, bool value = false)
      : n_(n), words_((n + 63) / 64, value ? ~uint64_t{0} : 0) {
    TrimTail();
  }
  size_t size() const { return n_; }
  bool Test(uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1u; }
  void Set(uint32_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(uint32_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  void AssignAll(bool value);
  void AssignFrom(const Bitset& other) { words_ = other.words_, n_ = other.n_; }
  void And(const Bitset& other);
  void Or(const Bitset& other);
  size_t Count() const;
  const std::vector<uint64_t>& words() const { return words_; }
  std::vector<uint64_t>& words() { return words_; }
  size_t MemoryBytes() const { return words_.capacity() * sizeof(uint64_t); }

  // The smallest member >= `from`, or size() when there is none.
  uint32_t NextSet(uint32_t from) const {
    size_t w = from >> 6;
    if (w >= words_.size()) return static_cast<uint32_t>(n_);
    uint64_t bits = words_[w] & (~uint64_t{0} << (from & 63));
    while (bits == 0) {
      if (++w == words_.size()) return static_cast<uint32_t>(n_);
      bits = words_[w];
    }
    return static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits));
  }
  // Removes every member of `other`.
  void AndNot(const Bitset& other);

  // Calls fn(id) for each member in increasing order while fn returns true.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        if (!fn(static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits)))) return;
      }
    }
  }

 private:
  void TrimTail() {
    if (n_ % 64 != 0 && !words_.empty()) words_.back() &= (uint64_t{1} << (n_ % 64)) - 1;
  }
  size_t n_ = 0;
  std::vector<uint64_t> words_;
};

// Thread-safe (immutable after construction).
class BitmapIndex {
 public:
  // Reusable per-thread buffers. Not thread-safe.
  struct Posting;
  struct Scratch {
    Bitset dimension;
    std::vector<uint32_t> saved;
    std::vector<const Posting*> sparse_excludes;
  };

  BitmapIndex() = default;
  // `targetings[i]` is campaign i; nullptr entries (inactive campaigns) never match.
  explicit BitmapIndex(const std::vector<const Targeting*>& targetings);

  // Sets `*out` to the campaigns whose indexed dimensions `facts` satisfy.
  void Match(const RequestFacts& facts, Scratch* scratch, Bitset* out) const;

  size_t MemoryBytes() const;

 private:
  // A value's campaigns: a sorted id list, or a bitset once the value is common.
 public:
  struct Posting {
    std::vector<uint32_t> ids;
    Bitset bits;
    bool dense = false;
  };

 private:
  struct DimensionIndex {
    bool targeted = false;  // some campaign includes or excludes on it
    Bitset any;             // campaigns without an include list here
    absl::flat_hash_map<std::string, Posting> include;
    absl::flat_hash_map<std::string, Posting> exclude;
  };
  enum Dim {
    kCountry,
    kRegion,
    kOs,
    kDeviceType,
    kConnectionType,
    kBundle,
    kCategory,
    kPublisher,
    kLanguage,
    kHour,
    kSegment,
    kNumDims
  };

  const Posting* Find(const absl::flat_hash_map<std::string, Posting>& map,
                      std::string_view value) const;
  // out &= any ∪ include(values); out -= exclude(values).
  void ApplyDimension(const DimensionIndex& dim, const std::vector<std::string_view>& values,
                      Scratch* scratch, Bitset* out) const;

  size_t n_ = 0;
  Bitset active_;
  DimensionIndex dims_[kNumDims];
};

}  // namespace vetrina::engine
