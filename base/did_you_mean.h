// "did you mean" hints for misspelt names (flags, config keys, JSON fields):
//
//   DidYouMean("bugdet", {"budget", "bid"}) == "budget"
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace vetrina {

// The optimal string alignment distance: insertions, deletions, substitutions and transpositions
// of neighbours ("bugdet" -> "budget" is 1), comparing ASCII letters case-insensitively.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, when it is close enough to be a likely typo: at most 1 edit
// for words up to 5 characters, 2 up to 9, 3 beyond (none for words of 1 or 2 characters). Ties
// go to the earlier candidate; `word` itself is never suggested.
std::optional<std::string_view> DidYouMean(std::string_view word,
                                           std::span<const std::string_view> candidates);

}  // namespace vetrina
