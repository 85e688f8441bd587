// Budget leases: how a fleet node spends a campaign's money without asking Redis for each bid.
//
// A campaign's account lives in Redis (adapters/money/lease_keeper.h). A node leases a slice of
// what is left and reserves its bids against that slice locally, exactly as a single node
// reserves against its ledger. Every notice names the lease its bid was reserved under; every
// node applies every notice of the fleet's notice log, so every node knows how much each lease
// has been charged, and the holder commits those charges to Redis as it renews.
//
// Why no clock needs to agree: the node states its own bidding deadline (its clock) when it
// renews, and never signs a token after it. A notice is charged only when the notice log took it
// within notice_window + late_allowance of the token's issue time (ChargeableUntil), and the
// lease's money stays held in Redis until that long after the deadline (HoldUntil). Both are the
// same sum over the same two quantities, so every charge a lease can receive lands while its money
// is still held, whatever the offset between the node's and Redis' clocks.
//
//   LeaseTerms terms{.notice_window = absl::Seconds(60)};
//   if (logged_at <= terms.ChargeableUntil(token.issued)) -> charge the lease
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "engine/core/money.h"

namespace vetrina::engine {

// A lease: the node process (its random incarnation, never 0) and the campaign's lease number
// within it. {0, 0} is no lease (a single node's bid).
struct LeaseId {
  uint64_t node = 0;
  uint64_t epoch = 0;
  bool valid() const { return node != 0; }
  friend bool operator==(const LeaseId&, const LeaseId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const LeaseId& id) {
    return H::combine(std::move(h), id.node, id.epoch);
  }
};

// "<node, 16 hex digits>.<epoch>": the lease's name in Redis.
std::string LeaseName(LeaseId id);
std::optional<LeaseId> ParseLeaseName(std::string_view name);

struct LeaseTerms {
  // How long after a bid the exchange may still report it: the exchange token's lifetime, and how
  // long a reservation lasts.
  absl::Duration notice_window = absl::Seconds(60);
  // How much later than that the notice log may take a notice and still charge it (the exchange's
  // and our queues).
  absl::Duration late_allowance = absl::Seconds(2);
  // How long one renewal lets the node bid: how long it bids on without Redis (never past its
  // leases' money). A lease is extended once less than half of it is left, so a longer term
  // means fewer Redis calls for idle campaigns, and a dead node's leases held longer.
  absl::Duration term = absl::Seconds(10);
  // How often the node commits and renews; at most 250 ms.
  absl::Duration renew_every = absl::Milliseconds(200);
  // How long a node keeps one lease before it starts another (the old one lapses and is closed):
  // bounds how long every node must remember a lease's charges.
  absl::Duration max_age = absl::Hours(6);
  // How long after its last charge a node may forget a lease's charges: by then the lease is
  // closed.
  absl::Duration ForgetChargesAfter() const {
    return max_age + term + notice_window + late_allowance + absl::Hours(1);
  }
  // How much spend a lease should hold, in seconds of the node's recent demand.
  absl::Duration horizon = absl::Seconds(2);
  // What a lease asks for before its node has seen any bid: one cent.
  Micros first_slice = 10'000;

  // The last log time at which a notice of a bid issued at `issued` is charged.
  absl::Time ChargeableUntil(absl::Time issued) const {
    return issued + notice_window + late_allowance;
  }
  // Until when a lease whose holder bids until `bid_until` must keep its money.
  absl::Time HoldUntil(absl::Time bid_until) const {
    return bid_until + notice_window + late_allowance;
  }
};

// What a node asks its lease to hold: what its open reservations owe under it, plus `horizon` of
// what its bids recently asked for, and at least two of its largest bids (or first_slice before
// any bid), so a quiet campaign can still bid.
struct LeaseDemand {
  Micros owed = 0;
  double asked_per_second = 0;
  Micros largest_bid = 0;
};
Micros LeaseWant(const LeaseDemand& demand, const LeaseTerms& terms);

}  // namespace vetrina::engine
