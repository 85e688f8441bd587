#include "base/did_you_mean.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace vetrina {
namespace {

TEST_CASE("edit distance counts insertions, deletions, substitutions and swaps") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("budget", "budget") == 0);
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("abc", "") == 3);
  CHECK(EditDistance("listn", "listen") == 1);    // insertion
  CHECK(EditDistance("listeen", "listen") == 1);  // deletion
  CHECK(EditDistance("lusten", "listen") == 1);   // substitution
  CHECK(EditDistance("bugdet", "budget") == 1);   // neighbours swapped
  CHECK(EditDistance("Budget", "budget") == 0);   // ASCII case is ignored
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(EditDistance("ca", "abc") == 3);  // optimal string alignment: no edit of a swapped pair
}

TEST_CASE("did you mean: the closest candidate within the typo budget") {
  const std::vector<std::string_view> fields = {"id",  "advertiser", "status",   "budget",
                                                "bid", "creatives",  "targeting"};
  CHECK(DidYouMean("bugdet", fields) == std::optional<std::string_view>("budget"));
  CHECK(DidYouMean("creatvies", fields) == std::optional<std::string_view>("creatives"));
  CHECK(DidYouMean("targetting", fields) == std::optional<std::string_view>("targeting"));
  CHECK(DidYouMean("stauts", fields) == std::optional<std::string_view>("status"));
  // Too far from everything: no hint rather than a wrong one.
  CHECK_FALSE(DidYouMean("frobnicate", fields).has_value());
  CHECK_FALSE(DidYouMean("colour", fields).has_value());
  // Words of one or two characters are too short to guess at.
  CHECK_FALSE(DidYouMean("ix", fields).has_value());
  // Never the word itself.
  CHECK_FALSE(DidYouMean("bid", std::vector<std::string_view>{"bid"}).has_value());
  // Ties go to the earlier candidate.
  CHECK(DidYouMean("cat", std::vector<std::string_view>{"bat", "car"}) ==
        std::optional<std::string_view>("bat"));
  CHECK_FALSE(DidYouMean("anything", std::vector<std::string_view>{}).has_value());
}

}  // namespace
}  // namespace vetrina
