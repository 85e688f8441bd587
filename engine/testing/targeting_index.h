// A boolean-expression index over campaign targeting, after Whang et al., "Indexing Boolean
// Expressions" (VLDB 2009): each campaign's request-level targeting is a conjunction of
// "attribute in {values}" and "attribute not in {values}" predicates; conjunctions are
// partitioned by K, their number of "in" predicates; each partition keeps a posting list per
// attribute=value; a query skip-merges the lists of the request's own attribute values and
// accepts a conjunction that at least K of them point at, unless a "not in" entry rejects it.
//
// The index answers a superset: predicates it cannot express exactly (OS version ranges, flight
// dates, multi-valued attributes counted twice) are left to the exact check that follows, so
// `Candidates` never misses a campaign the brute-force scan would accept.
//
//   TargetingIndex index(targetings);           // off the hot path
//   index.Candidates(facts, &scratch, &ids);    // per request; ids sorted
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/core/targeting.h"

namespace vetrina::engine {

// Thread-safe (immutable after construction).
class TargetingIndex {
 public:
  // Reusable per-thread buffers for queries. Not thread-safe.
  struct Scratch {
    std::string key;
    std::vector<const uint32_t*> begins;
    std::vector<const uint32_t*> ends;
    std::vector<uint32_t> list_ids;
  };

  TargetingIndex() = default;
  // `targetings[i]` is conjunction i; nullptr entries (inactive campaigns) are not indexed.
  explicit TargetingIndex(const std::vector<const Targeting*>& targetings);

  // Replaces `*ids` with the sorted ids whose indexed predicates `facts` satisfy.
  void Candidates(const RequestFacts& facts, Scratch* scratch, std::vector<uint32_t>* ids) const;

  size_t MemoryBytes() const;
  int max_k() const { return max_k_; }

 private:
  // One posting list: entries are (id << 1) | in, sorted, so a "not in" entry sorts before an
  // "in" entry of the same id.
  struct ListRef {
    uint32_t begin = 0;
    uint32_t end = 0;
  };

  // Lists of partition `k` for the query's keys, appended to scratch.
  void CollectLists(int k, const RequestFacts& facts, Scratch* scratch) const;
  void AddList(int k, Scratch* scratch) const;

  absl::flat_hash_map<std::string, uint32_t> key_ids_;  // "c\0USA" -> key id
  absl::flat_hash_map<uint64_t, ListRef> lists_;        // (k << 32 | key id) -> entries
  std::vector<uint32_t> entries_;
  std::vector<bool> partition_present_;  // by k
  int max_k_ = -1;
};

}  // namespace vetrina::engine
