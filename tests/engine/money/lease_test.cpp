#include "engine/money/lease.h"

#include <catch2/catch.hpp>

namespace vetrina::engine {
namespace {

TEST_CASE("a lease's name round-trips and anything else is refused") {
  const LeaseId id{0x00ab'cdef'0123'4567ULL, 42};
  CHECK(LeaseName(id) == "00abcdef01234567.42");
  REQUIRE(ParseLeaseName(LeaseName(id)).has_value());
  CHECK(*ParseLeaseName(LeaseName(id)) == id);
  for (const char* bad : {"", "00abcdef01234567", "00abcdef01234567.", "abc.1",
                          "00abcdef01234567.x", "0000000000000000.1", "00abcdef0123456z.1"}) {
    INFO(bad);
    CHECK_FALSE(ParseLeaseName(bad).has_value());
  }
}

TEST_CASE("the charge window and the lease's hold are the same sum, so every charge is held") {
  const LeaseTerms terms{.notice_window = absl::Seconds(60), .late_allowance = absl::Seconds(2)};
  const absl::Time bid_until = absl::FromUnixSeconds(1'000);
  // The last token a lease may sign is issued at its deadline; its last chargeable notice is
  // logged no later than the lease holds its money.
  CHECK(terms.ChargeableUntil(bid_until) == terms.HoldUntil(bid_until));
  CHECK(terms.ChargeableUntil(bid_until - absl::Seconds(1)) < terms.HoldUntil(bid_until));
}

TEST_CASE("a lease asks for what its bids owe plus the horizon of its demand") {
  const LeaseTerms terms{.horizon = absl::Seconds(2), .first_slice = 10'000};
  // Nothing seen yet: the first slice.
  CHECK(LeaseWant({}, terms) == 10'000);
  // A quiet campaign keeps room for two of its largest bids.
  CHECK(LeaseWant({.owed = 500, .asked_per_second = 0, .largest_bid = 3'000}, terms) == 6'500);
  // A busy one for two seconds of what its bids asked for.
  CHECK(LeaseWant({.owed = 500, .asked_per_second = 50'000, .largest_bid = 3'000}, terms) ==
        100'500);
}

}  // namespace
}  // namespace vetrina::engine
