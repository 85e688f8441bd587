#include "engine/money/budget.h"

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

std::optional<DayIndex> CampaignAccount::Reserve(Micros amount, const BudgetLimits& limits,
                                                 absl::Time now) {
  assert(amount >= 0);
  std::lock_guard lock(mu_);
  RollOver(DayOf(now));
  if (!Fits(amount, limits)) return std::nullopt;
  daily_reserved_ += amount;
  lifetime_reserved_ += amount;
  return day_;
}

void CampaignAccount::Settle(Micros reserved, Micros charge, DayIndex day) {
  assert(charge >= 0 && charge <= reserved);
  std::lock_guard lock(mu_);
  lifetime_reserved_ -= reserved;
  lifetime_settled_ += charge;
  if (day == day_) {
    daily_reserved_ -= reserved;
    daily_settled_ += charge;
  }
}

void CampaignAccount::Release(Micros reserved, DayIndex day) { Settle(reserved, 0, day); }

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
}

NoBidReason CampaignAccount::Admit(const Campaign& campaign, absl::Time now, Rng& rng) {
  const bool paced = campaign.pacing == Pacing::kEven && campaign.daily_budget > 0;
  double rate = 1.0;
  {
    std::lock_guard lock(mu_);
    RollOver(DayOf(now));
    if (!Fits(1, BudgetLimits::Of(campaign))) return NoBidReason::kBudgetExhausted;
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

CampaignAccount& BudgetLedger::Account(std::string_view campaign_id) {
  AccountShard& shard = accounts_[ShardIndex(campaign_id, kShards)];
  {
    std::shared_lock lock(shard.mu);
    if (auto it = shard.accounts.find(Absl(campaign_id)); it != shard.accounts.end()) {
      return it->second;
    }
  }
  std::unique_lock lock(shard.mu);
  return shard.accounts.try_emplace(std::string(campaign_id)).first->second;
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
                           absl::Time now) {
  CampaignAccount& account = Account(campaign.id);
  const std::optional<DayIndex> day = account.Reserve(amount, BudgetLimits::Of(campaign), now);
  if (!day) return false;
  ReservationShard& shard = ShardFor(bid_id);
  const absl::Time expires = now + timeout_;
  std::unique_lock lock(shard.mu);
  auto [it, inserted] =
      shard.open.try_emplace(std::string(bid_id), Reservation{&account, amount, *day, expires});
  if (!inserted) {
    // Bid ids are unique per process; a repeat is a caller bug. Keep the budget exact anyway.
    assert(false && "bid id reserved twice");
    account.Release(amount, *day);
    return false;
  }
  shard.by_expiry.emplace_back(expires, it->first);
  return true;
}

BudgetLedger::SettleResult BudgetLedger::Settle(std::string_view bid_id,
                                                std::string_view campaign_id,
                                                const BudgetLimits& limits, Micros charge,
                                                DayIndex day, absl::Time now) {
  std::optional<Reservation> reservation;
  {
    ReservationShard& shard = ShardFor(bid_id);
    std::unique_lock lock(shard.mu);
    if (auto it = shard.open.find(Absl(bid_id)); it != shard.open.end()) {
      reservation = it->second;
      shard.open.erase(it);
    }
  }
  if (reservation && charge <= reservation->amount) {
    reservation->account->Settle(reservation->amount, charge, reservation->day);
    return SettleResult::kSettled;
  }
  if (reservation) reservation->account->Release(reservation->amount, reservation->day);
  return Account(campaign_id).Charge(charge, limits, day, now)
             ? SettleResult::kChargedWithoutReservation
             : SettleResult::kOverBudget;
}

void BudgetLedger::Release(std::string_view bid_id) {
  std::optional<Reservation> reservation;
  {
    ReservationShard& shard = ShardFor(bid_id);
    std::unique_lock lock(shard.mu);
    if (auto it = shard.open.find(Absl(bid_id)); it != shard.open.end()) {
      reservation = it->second;
      shard.open.erase(it);
    }
  }
  if (reservation) reservation->account->Release(reservation->amount, reservation->day);
}

size_t BudgetLedger::Expire(absl::Time now) {
  size_t released = 0;
  for (ReservationShard& shard : reservations_) {
    std::unique_lock lock(shard.mu);
    while (!shard.by_expiry.empty() && shard.by_expiry.front().first <= now) {
      auto it = shard.open.find(shard.by_expiry.front().second);
      if (it != shard.open.end() && it->second.expires <= now) {
        it->second.account->Release(it->second.amount, it->second.day);
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
