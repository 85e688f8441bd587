#include "base/did_you_mean.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"

namespace vetrina {

size_t EditDistance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) {
    return absl::ascii_tolower(static_cast<unsigned char>(x)) ==
           absl::ascii_tolower(static_cast<unsigned char>(y));
  };
  // Three rows of the dynamic programming table: two back (for transpositions), one back, this.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string_view> DidYouMean(std::string_view word,
                                           std::span<const std::string_view> candidates) {
  const size_t allowed = word.size() <= 2 ? 0 : word.size() <= 5 ? 1 : word.size() <= 9 ? 2 : 3;
  std::optional<std::string_view> best;
  size_t best_distance = allowed + 1;
  for (std::string_view candidate : candidates) {
    if (candidate == word) continue;
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace vetrina
