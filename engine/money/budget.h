// Budgets that are never overspent. Every bid reserves what it may cost against its campaign
// before it is sent; a win or billing notice settles the real price (never more than reserved),
// a loss notice or the reservation's timeout releases it. Under each account's lock,
// settled + reserved never exceeds the daily or the lifetime budget, whatever the threads do.
// Days are UTC; a reservation settles against the day it was made on.
//
//   BudgetLedger ledger(absl::Seconds(60));
//   if (!ledger.Reserve("bid-1", campaign, cost, now)) -> do not bid
//   ledger.Settle("bid-1", BudgetLimits::Of(campaign), "c-1", charge, DayOf(issued), now);
//   ledger.Expire(now);  // periodically: releases what no notice settled in time
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "base/random.h"
#include "engine/core/campaign.h"
#include "engine/core/money.h"
#include "engine/core/no_bid_reason.h"
#include "engine/money/lease.h"
#include "engine/money/pacing.h"

namespace vetrina::engine {

using DayIndex = int64_t;  // days since the Unix epoch, UTC
DayIndex DayOf(absl::Time t);
absl::Time StartOfDay(DayIndex day);

struct BudgetLimits {
  Micros daily = 0;     // 0 = none
  Micros lifetime = 0;  // 0 = none
  bool closed = false;  // nothing fits: a campaign that no longer exists
  static BudgetLimits Of(const Campaign& c) { return {c.daily_budget, c.lifetime_budget}; }
  static BudgetLimits Closed() { return {0, 0, true}; }
};

// A consistent copy of an account, for reports and tests.
struct AccountState {
  DayIndex day = 0;
  Micros daily_settled = 0;
  Micros daily_reserved = 0;
  Micros lifetime_settled = 0;
  Micros lifetime_reserved = 0;
  double pacing_rate = 1.0;
};

// This node's lease of an account (a fleet's; engine/money/lease.h), for the keeper and reports.
struct LeaseState {
  uint64_t epoch = 0;      // 0: none granted yet
  Micros outstanding = 0;  // granted by Redis and not yet charged (as far as this node has read)
  Micros reserved = 0;     // open reservations under it
  absl::Time bid_until = absl::InfinitePast();
  // Every amount bids asked to reserve, held or refused by the lease: the node's demand.
  Micros asked_total = 0;
  Micros largest_bid = 0;  // the largest amount one bid asked for
  Micros room() const { return outstanding - reserved; }
};

// One campaign's money. Thread-safe. (The money state locks with std mutexes, which are pthread
// underneath, so ThreadSanitizer sees them; Debian's Abseil is not built for it.)
class CampaignAccount {
 public:
  // Holds `amount` when settled + reserved + amount stays within both limits, and returns the
  // day it was held against (the account's, which another thread may already have moved past
  // DayOf(now)); nullopt when it does not fit.
  // With RequireLease, the amount must also fit this node's lease before its deadline; `*epoch`
  // is then the lease it was held under.
  std::optional<DayIndex> Reserve(Micros amount, const BudgetLimits& limits, absl::Time now,
                                  uint64_t* epoch = nullptr);
  // Turns a reservation of `reserved` made on `day` (under lease `epoch`) into spend of `charge`
  // (≤ reserved).
  void Settle(Micros reserved, Micros charge, DayIndex day, uint64_t epoch = 0);
  void Release(Micros reserved, DayIndex day, uint64_t epoch = 0);
  // Spends `amount` for a bid made on `day` that holds no reservation (one from before a
  // restart), only within the limits; false when it does not fit.
  bool Charge(Micros amount, const BudgetLimits& limits, DayIndex day, absl::Time now);
  // Spend read back from the journal, or charged by the fleet's rule (NoticeBook).
  void Restore(Micros amount, DayIndex day, absl::Time now);

  // Fleet: bids need a lease (Reserve), granted by GrantLease.
  void RequireLease();
  // The lease Redis holds for this node after a renewal: `outstanding` of it not yet charged as
  // far as this node has read, bids allowed until `bid_until` (this node's clock). A new `epoch`
  // starts a new lease; reservations of an older one no longer count against it.
  void GrantLease(uint64_t epoch, Micros outstanding, absl::Time bid_until);
  // A charge under lease `epoch` of a bid without a reservation here (another node's bid, or one
  // whose reservation is gone): the lease shrinks by it when it is this node's current one.
  void ChargeLease(uint64_t epoch, Micros charge);
  // Takes out of lease `epoch` what its room holds beyond `keep_room`, at once (no bid can
  // reserve it any more), and returns how much: what the keeper then hands back to Redis.
  // `stop`: no bid from here on either.
  Micros ShrinkLease(uint64_t epoch, Micros keep_room, bool stop);
  LeaseState Lease() const;
  // Forgets settled spend and the counts the journal holds, keeping reservations and the bids
  // not journaled yet: before a shared log is replayed from its start.
  void ClearJournaled();

  // Whether `campaign` may bid now: kBudgetExhausted when nothing is left to reserve,
  // kLeaseExhausted when this node's lease holds nothing more (or has lapsed), kPaced when even
  // pacing holds this bid back (never for ASAP pacing or without a daily budget).
  NoBidReason Admit(const Campaign& campaign, absl::Time now, Rng& rng);
  // Admit without changing anything or drawing: kBudgetExhausted when nothing is left, kPaced
  // when pacing is at its floor (PacingController::kMinRate: it holds back all but a trickle of
  // bids), else kNone; a rate between is a probability, not a verdict. For explain's dry run.
  NoBidReason Check(const Campaign& campaign, absl::Time now) const;

  // Activity, for reports; bids are counted by the bid path, the rest from notices.
  std::atomic<uint64_t> bids{0};
  std::atomic<uint64_t> bids_journaled{0};  // how many of `bids` the spend journal holds
  std::atomic<uint64_t> wins{0};
  std::atomic<uint64_t> impressions{0};
  std::atomic<uint64_t> clicks{0};
  // Charged wins by clearing CPM (USD micros): bucket i counts CPMs up to kClearingCpmBuckets[i],
  // the last one those above every bound. Counted where win notices are applied (and replayed).
  static constexpr std::array<Micros, 9> kClearingCpmBuckets = {100'000,    250'000,    500'000,
                                                                1'000'000,  2'000'000,  5'000'000,
                                                                10'000'000, 20'000'000, 50'000'000};
  std::array<std::atomic<uint64_t>, kClearingCpmBuckets.size() + 1> wins_by_cpm{};
  void CountClearingPrice(Micros cpm);

  AccountState State(absl::Time now) const;

 private:
  void RollOver(DayIndex today);
  bool Fits(Micros amount, const BudgetLimits& limits) const;
  bool LeaseFits(Micros amount, absl::Time now) const;

  mutable std::mutex mu_;
  DayIndex day_ = 0;
  Micros daily_settled_ = 0;
  Micros daily_reserved_ = 0;
  Micros lifetime_settled_ = 0;
  Micros lifetime_reserved_ = 0;
  PacingController pacing_;
  bool lease_required_ = false;
  LeaseState lease_;
};

// Every campaign's account, and the open reservations by bid id. Thread-safe.
class BudgetLedger {
 public:
  explicit BudgetLedger(absl::Duration reservation_timeout = absl::Seconds(60))
      : timeout_(reservation_timeout) {}

  // Fleet: every budgeted bid needs a lease of this node (`node`: its incarnation, not 0). Set
  // before any account exists.
  void RequireLeases(uint64_t node);
  uint64_t lease_node() const { return lease_node_; }

  // The account of `campaign_id`, created on first use; its address never changes.
  CampaignAccount& Account(std::string_view campaign_id);
  // nullptr when the campaign never had one.
  const CampaignAccount* FindAccount(std::string_view campaign_id) const;

  // Reserves `amount` for bid `bid_id` of `campaign` until now + timeout. False when the budget
  // (or this node's lease) cannot hold it. `*lease`: the lease it was held under, if any.
  bool Reserve(std::string_view bid_id, const Campaign& campaign, Micros amount, absl::Time now,
               LeaseId* lease = nullptr);

  enum class SettleResult { kSettled, kChargedWithoutReservation, kOverBudget };
  // The fleet's rule: a bid reserved under `lease` is charged, with or without its reservation
  // here (the lease holds the money in Redis).
  SettleResult SettleLeased(std::string_view bid_id, std::string_view campaign_id, LeaseId lease,
                            Micros charge, DayIndex day, absl::Time now);
  // Settles bid `bid_id` at `charge`. Without its open reservation (a restart, or expiry) the
  // charge is made only within `limits`, for the account of `campaign_id` and the bid's `day`.
  SettleResult Settle(std::string_view bid_id, std::string_view campaign_id,
                      const BudgetLimits& limits, Micros charge, DayIndex day, absl::Time now);
  // Releases the reservation of `bid_id`, if open.
  void Release(std::string_view bid_id);
  // Releases every reservation whose time ran out; returns how many.
  size_t Expire(absl::Time now);

  size_t open_reservations() const;
  absl::Duration timeout() const { return timeout_; }

  // Calls fn(campaign_id, account) for every account (reports, compaction).
  template <typename Fn>
  void ForEachAccount(Fn fn) {
    for (AccountShard& shard : accounts_) {
      std::shared_lock lock(shard.mu);
      for (auto& [id, account] : shard.accounts) fn(id, account);
    }
  }

 private:
  struct Reservation {
    CampaignAccount* account;
    Micros amount;
    DayIndex day;
    absl::Time expires;
    uint64_t epoch;  // the lease it was held under (0: none)
  };
  std::optional<Reservation> Take(std::string_view bid_id);
  // Settles bid `bid_id` against its open reservation when it has one that covers `charge`
  // (true); a reservation too small for it is released (false).
  bool SettleReservation(std::string_view bid_id, Micros charge);
  struct ReservationShard {
    mutable std::shared_mutex mu;
    absl::flat_hash_map<std::string, Reservation> open;
    // In reservation order, so (the clock being monotonic) in expiry order.
    std::deque<std::pair<absl::Time, std::string>> by_expiry;
  };
  struct AccountShard {
    mutable std::shared_mutex mu;
    absl::node_hash_map<std::string, CampaignAccount> accounts;
  };
  static constexpr size_t kShards = 64;
  ReservationShard& ShardFor(std::string_view bid_id);

  const absl::Duration timeout_;
  uint64_t lease_node_ = 0;
  std::array<ReservationShard, kShards> reservations_;
  std::array<AccountShard, kShards> accounts_;
};

}  // namespace vetrina::engine
