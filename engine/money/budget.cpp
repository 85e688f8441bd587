#include "engine/money/budget.h"

#include <algorithm>
#include <cassert>
#include <functional>

namespace vetrina::engine {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

size_t ShardIndex(std::string_view key, size_t shards) {
  return std::hash<std::string_view>{}(key) % shards;
}

// The budget rule: `amount` more fits when the day's and the lifetime's use stay within limits.
bool FitsWithin(Micros daily_used, Micros lifetime_used, Micros amount,
                const BudgetLimits& limits) {
  if (limits.closed) return false;
  if (limits.daily > 0 && daily_used + amount > limits.daily) return false;
  return limits.lifetime <= 0 || lifetime_used + amount <= limits.lifetime;
}

}  // namespace

DayIndex DayOf(absl::Time t) {
  const int64_t s = absl::ToUnixSeconds(t);
  return s >= 0 ? s / kSecondsPerDay : (s - kSecondsPerDay + 1) / kSecondsPerDay;
}

absl::Time StartOfDay(DayIndex day) { return absl::FromUnixSeconds(day * kSecondsPerDay); }

void CampaignAccount::RollOver(DayIndex today) {
  if (today <= day_) return;
  // Yesterday's open reservations still settle against yesterday (and the lifetime totals).
  day_ = today;
  daily_settled_ = 0;
  daily_reserved_ = 0;
  pacing_.Reset(StartOfDay(today), 0);
}

bool CampaignAccount::Fits(Micros amount, const BudgetLimits& limits) const {
  return FitsWithin(daily_settled_ + daily_reserved_, lifetime_settled_ + lifetime_reserved_,
                    amount, limits);
}

bool CampaignAccount::LeaseFits(Micros amount, absl::Time now) const {
  return !lease_required_ || (now < lease_.bid_until && amount <= lease_.room());
}

std::optional<DayIndex> CampaignAccount::Reserve(Micros amount, const BudgetLimits& limits,
                                                 absl::Time now, uint64_t* epoch) {
  assert(amount >= 0);
  std::lock_guard lock(mu_);
  RollOver(DayOf(now));
  if (!Fits(amount, limits)) return std::nullopt;
  if (lease_required_) {
    lease_.asked_total += amount;
    lease_.largest_bid = std::max(lease_.largest_bid, amount);
    if (!LeaseFits(amount, now)) return std::nullopt;
    lease_.reserved += amount;
    if (epoch != nullptr) *epoch = lease_.epoch;
  }
  daily_reserved_ += amount;
  lifetime_reserved_ += amount;
  return day_;
}

void CampaignAccount::Settle(Micros reserved, Micros charge, DayIndex day, uint64_t epoch) {
  assert(charge >= 0 && charge <= reserved);
  std::lock_guard lock(mu_);
  lifetime_reserved_ -= reserved;
  lifetime_settled_ += charge;
  if (day == day_) {
    daily_reserved_ -= reserved;
    daily_settled_ += charge;
  }
  if (lease_required_ && epoch != 0 && epoch == lease_.epoch) {
    lease_.reserved -= reserved;
    lease_.outstanding -= charge;
    assert(lease_.reserved >= 0);
  }
}

void CampaignAccount::Release(Micros reserved, DayIndex day, uint64_t epoch) {
  Settle(reserved, 0, day, epoch);
}

void CampaignAccount::RequireLease() {
  std::lock_guard lock(mu_);
  lease_required_ = true;
}

void CampaignAccount::GrantLease(uint64_t epoch, Micros outstanding, absl::Time bid_until) {
  assert(epoch != 0);
  std::lock_guard lock(mu_);
  if (epoch != lease_.epoch) {
    lease_.epoch = epoch;
    lease_.reserved = 0;  // reservations of the old lease stay covered by it
  }
  lease_.outstanding = outstanding;
  lease_.bid_until = bid_until;
}

void CampaignAccount::ChargeLease(uint64_t epoch, Micros charge) {
  std::lock_guard lock(mu_);
  if (lease_required_ && epoch != 0 && epoch == lease_.epoch) lease_.outstanding -= charge;
}

Micros CampaignAccount::ShrinkLease(uint64_t epoch, Micros keep_room, bool stop) {
  std::lock_guard lock(mu_);
  if (!lease_required_ || epoch == 0 || epoch != lease_.epoch) return 0;
  if (stop) lease_.bid_until = absl::InfinitePast();
  const Micros excess = std::max<Micros>(0, lease_.room() - std::max<Micros>(0, keep_room));
  lease_.outstanding -= excess;
  return excess;
}

LeaseState CampaignAccount::Lease() const {
  std::lock_guard lock(mu_);
  return lease_;
}

bool CampaignAccount::Charge(Micros amount, const BudgetLimits& limits, DayIndex day,
                             absl::Time now) {
  std::lock_guard lock(mu_);
  RollOver(DayOf(now));
  if (day > day_) return false;  // a token from the future: never signed by this clock
  BudgetLimits applicable = limits;
  if (day != day_) applicable.daily = 0;  // a past day's spend is not today's
  if (!Fits(amount, applicable)) return false;
  lifetime_settled_ += amount;
  if (day == day_) daily_settled_ += amount;
  return true;
}

void CampaignAccount::Restore(Micros amount, DayIndex day, absl::Time now) {
  std::lock_guard lock(mu_);
  RollOver(DayOf(now));
  lifetime_settled_ += amount;
  if (day == day_) daily_settled_ += amount;
}

void CampaignAccount::ClearJournaled() {
  {
    std::lock_guard lock(mu_);
    daily_settled_ = 0;
    lifetime_settled_ = 0;
  }
  bids.fetch_sub(bids_journaled.exchange(0));
  wins.store(0);
  impressions.store(0);
  clicks.store(0);
  for (std::atomic<uint64_t>& bucket : wins_by_cpm) bucket.store(0);
}

void CampaignAccount::CountClearingPrice(Micros cpm) {
  size_t bucket = 0;
  while (bucket < kClearingCpmBuckets.size() && cpm > kClearingCpmBuckets[bucket]) ++bucket;
  wins_by_cpm[bucket].fetch_add(1, std::memory_order_relaxed);
}

NoBidReason CampaignAccount::Admit(const Campaign& campaign, absl::Time now, Rng& rng) {
  const bool paced = campaign.pacing == Pacing::kEven && campaign.daily_budget > 0;
  double rate = 1.0;
  {
    std::lock_guard lock(mu_);
    RollOver(DayOf(now));
    if (!Fits(1, BudgetLimits::Of(campaign))) return NoBidReason::kBudgetExhausted;
    if (!LeaseFits(1, now)) return NoBidReason::kLeaseExhausted;
    if (paced) {
      pacing_.Update(now, StartOfDay(day_), campaign.daily_budget,
                     daily_settled_ + daily_reserved_);
      rate = pacing_.rate();
    }
  }
  return rate >= 1.0 || rng.Bernoulli(rate) ? NoBidReason::kNone : NoBidReason::kPaced;
}

NoBidReason CampaignAccount::Check(const Campaign& campaign, absl::Time now) const {
  const AccountState s = State(now);
  if (!FitsWithin(s.daily_settled + s.daily_reserved, s.lifetime_settled + s.lifetime_reserved, 1,
                  BudgetLimits::Of(campaign))) {
    return NoBidReason::kBudgetExhausted;
  }
  {
    std::lock_guard lock(mu_);
    if (!LeaseFits(1, now)) return NoBidReason::kLeaseExhausted;
  }
  const bool paced = campaign.pacing == Pacing::kEven && campaign.daily_budget > 0;
  // At its floor, pacing holds back all but a trickle of bids: the one rate that is a verdict.
  return paced && s.pacing_rate <= PacingController::kMinRate ? NoBidReason::kPaced
                                                              : NoBidReason::kNone;
}

AccountState CampaignAccount::State(absl::Time now) const {
  std::lock_guard lock(mu_);
  AccountState state{.day = day_,
                     .daily_settled = daily_settled_,
                     .daily_reserved = daily_reserved_,
                     .lifetime_settled = lifetime_settled_,
                     .lifetime_reserved = lifetime_reserved_,
                     .pacing_rate = pacing_.rate()};
  if (DayOf(now) > day_) {  // a new day nothing has touched yet
    state.day = DayOf(now);
    state.daily_settled = 0;
    state.daily_reserved = 0;
    state.pacing_rate = 1.0;
  }
  return state;
}

void BudgetLedger::RequireLeases(uint64_t node) {
  assert(node != 0);
  lease_node_ = node;
}

CampaignAccount& BudgetLedger::Account(std::string_view campaign_id) {
  AccountShard& shard = accounts_[ShardIndex(campaign_id, kShards)];
  {
    std::shared_lock lock(shard.mu);
    if (auto it = shard.accounts.find(Absl(campaign_id)); it != shard.accounts.end()) {
      return it->second;
    }
  }
  std::unique_lock lock(shard.mu);
  auto [it, created] = shard.accounts.try_emplace(std::string(campaign_id));
  if (created && lease_node_ != 0) it->second.RequireLease();
  return it->second;
}

const CampaignAccount* BudgetLedger::FindAccount(std::string_view campaign_id) const {
  const AccountShard& shard = accounts_[ShardIndex(campaign_id, kShards)];
  std::shared_lock lock(shard.mu);
  auto it = shard.accounts.find(Absl(campaign_id));
  return it == shard.accounts.end() ? nullptr : &it->second;
}

BudgetLedger::ReservationShard& BudgetLedger::ShardFor(std::string_view bid_id) {
  return reservations_[ShardIndex(bid_id, kShards)];
}

bool BudgetLedger::Reserve(std::string_view bid_id, const Campaign& campaign, Micros amount,
                           absl::Time now, LeaseId* lease) {
  CampaignAccount& account = Account(campaign.id);
  uint64_t epoch = 0;
  const std::optional<DayIndex> day =
      account.Reserve(amount, BudgetLimits::Of(campaign), now, &epoch);
  if (!day) return false;
  ReservationShard& shard = ShardFor(bid_id);
  const absl::Time expires = now + timeout_;
  std::unique_lock lock(shard.mu);
  auto [it, inserted] = shard.open.try_emplace(std::string(bid_id),
                                               Reservation{&account, amount, *day, expires, epoch});
  if (!inserted) {
    // Bid ids are unique per process; a repeat is a caller bug. Keep the budget exact anyway.
    assert(false && "bid id reserved twice");
    account.Release(amount, *day, epoch);
    return false;
  }
  shard.by_expiry.emplace_back(expires, it->first);
  if (lease != nullptr) *lease = epoch != 0 ? LeaseId{lease_node_, epoch} : LeaseId{};
  return true;
}

std::optional<BudgetLedger::Reservation> BudgetLedger::Take(std::string_view bid_id) {
  ReservationShard& shard = ShardFor(bid_id);
  std::unique_lock lock(shard.mu);
  auto it = shard.open.find(Absl(bid_id));
  if (it == shard.open.end()) return std::nullopt;
  Reservation reservation = it->second;
  shard.open.erase(it);
  return reservation;
}

bool BudgetLedger::SettleReservation(std::string_view bid_id, Micros charge) {
  std::optional<Reservation> reservation = Take(bid_id);
  if (!reservation) return false;
  if (charge <= reservation->amount) {
    reservation->account->Settle(reservation->amount, charge, reservation->day, reservation->epoch);
    return true;
  }
  reservation->account->Release(reservation->amount, reservation->day, reservation->epoch);
  return false;
}

BudgetLedger::SettleResult BudgetLedger::SettleLeased(std::string_view bid_id,
                                                      std::string_view campaign_id, LeaseId lease,
                                                      Micros charge, DayIndex day, absl::Time now) {
  if (SettleReservation(bid_id, charge)) return SettleResult::kSettled;
  CampaignAccount& account = Account(campaign_id);
  account.Restore(charge, day, now);
  if (lease.node == lease_node_) account.ChargeLease(lease.epoch, charge);
  return SettleResult::kChargedWithoutReservation;
}

BudgetLedger::SettleResult BudgetLedger::Settle(std::string_view bid_id,
                                                std::string_view campaign_id,
                                                const BudgetLimits& limits, Micros charge,
                                                DayIndex day, absl::Time now) {
  if (SettleReservation(bid_id, charge)) return SettleResult::kSettled;
  return Account(campaign_id).Charge(charge, limits, day, now)
             ? SettleResult::kChargedWithoutReservation
             : SettleResult::kOverBudget;
}

void BudgetLedger::Release(std::string_view bid_id) {
  if (std::optional<Reservation> r = Take(bid_id)) r->account->Release(r->amount, r->day, r->epoch);
}

size_t BudgetLedger::Expire(absl::Time now) {
  size_t released = 0;
  for (ReservationShard& shard : reservations_) {
    std::unique_lock lock(shard.mu);
    while (!shard.by_expiry.empty() && shard.by_expiry.front().first <= now) {
      auto it = shard.open.find(shard.by_expiry.front().second);
      if (it != shard.open.end() && it->second.expires <= now) {
        it->second.account->Release(it->second.amount, it->second.day, it->second.epoch);
        shard.open.erase(it);
        ++released;
      }
      shard.by_expiry.pop_front();
    }
  }
  return released;
}

size_t BudgetLedger::open_reservations() const {
  size_t n = 0;
  for (const ReservationShard& shard : reservations_) {
    std::unique_lock lock(shard.mu);
    n += shard.open.size();
  }
  return n;
}

}  // namespace vetrina::engine
