#include "adapters/status/status_model.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "engine/core/no_bid_reason.h"
#include "engine/money/budget.h"
#include "engine/money/notice_book.h"
#include "engine/money/pacing.h"

namespace vetrina::status {
namespace {

// This Abseil's string_view is its own type.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void ThroughputRing::Add(const CounterSample& sample) {
  samples_[next_] = sample;
  next_ = (next_ + 1) % kCapacity;
  size_ = std::min(size_ + 1, kCapacity);
}

std::vector<RatePoint> ThroughputRing::Rates() const {
  std::vector<RatePoint> out;
  if (size_ < 2) return out;
  out.reserve(size_ - 1);
  const size_t oldest = (next_ + kCapacity - size_) % kCapacity;
  for (size_t i = 1; i < size_; ++i) {
    const CounterSample& before = samples_[(oldest + i - 1) % kCapacity];
    const CounterSample& after = samples_[(oldest + i) % kCapacity];
    const double seconds = absl::FDivDuration(after.at - before.at, absl::Seconds(1));
    if (seconds <= 0 || after.requests < before.requests ||
        after.requests_with_bid < before.requests_with_bid) {
      continue;
    }
    const uint64_t requests = after.requests - before.requests;
    const uint64_t with_bid = after.requests_with_bid - before.requests_with_bid;
    out.push_back(RatePoint{.at = after.at,
                            .qps = static_cast<double>(requests) / seconds,
                            .bid_rate = requests == 0
                                            ? 0.0
                                            : std::min(1.0, static_cast<double>(with_bid) /
                                                                static_cast<double>(requests))});
  }
  return out;
}

void SpendHistory::Record(std::string_view campaign_id, absl::Time at, engine::Micros spend_today) {
  const engine::DayIndex day = engine::DayOf(at);
  Day& d = by_campaign_[Absl(campaign_id)];
  if (d.day != day) d = Day{.day = day};
  const int slot =
      std::clamp(static_cast<int>((at - engine::StartOfDay(day)) / kSlot), 0, kSlotsPerDay - 1);
  d.spend[slot] = spend_today;
  d.recorded[slot] = true;
}

std::vector<SpendPoint> SpendHistory::Points(std::string_view campaign_id, absl::Time now) const {
  std::vector<SpendPoint> out;
  auto it = by_campaign_.find(Absl(campaign_id));
  if (it == by_campaign_.end() || it->second.day != engine::DayOf(now)) return out;
  const absl::Time start = engine::StartOfDay(it->second.day);
  for (int slot = 0; slot < kSlotsPerDay; ++slot) {
    if (it->second.recorded[slot]) out.emplace_back(start + kSlot * slot, it->second.spend[slot]);
  }
  return out;
}

void SpendHistory::Retain(std::span<const std::string> keep) {
  absl::flat_hash_set<absl::string_view> kept;
  for (const std::string& id : keep) kept.insert(Absl(id));
  absl::erase_if(by_campaign_, [&](const auto& entry) { return !kept.contains(entry.first); });
}

std::vector<SpendPoint> PlannedCurve(absl::Time now, engine::Micros daily_budget) {
  std::vector<SpendPoint> out;
  if (daily_budget <= 0) return out;
  const absl::Time start = engine::StartOfDay(engine::DayOf(now));
  out.reserve(25);
  for (int hour = 0; hour <= 24; ++hour) {
    const absl::Time at = start + absl::Hours(hour);
    out.emplace_back(at, engine::PacingController::Planned(at, start, daily_budget));
  }
  return out;
}

Funnel FunnelOf(const service::Metrics::Counts& counts) {
  Funnel f;
  f.requests = counts.bid_requests;
  // A request answered 204 because it waited past its deadline (shed under overload, or late
  // once read) was never auctioned: it leaves the funnel before `parsed`.
  const uint64_t late = counts.no_bids[static_cast<size_t>(engine::NoBidReason::kDeadline)];
  f.parsed = counts.bid_requests_answered - std::min(counts.bid_requests_answered, late);
  f.bids = counts.bids;
  uint64_t no_bids = 0;
  uint64_t unmatched = 0;  // no campaign passed targeting with a fitting creative
  for (size_t r = 1; r < counts.no_bids.size(); ++r) {
    const auto reason = static_cast<engine::NoBidReason>(r);
    f.no_bids.emplace_back(engine::NoBidReasonName(reason), counts.no_bids[r]);
    if (reason == engine::NoBidReason::kDeadline) continue;
    no_bids += counts.no_bids[r];
    if (reason < engine::NoBidReason::kBelowFloor) unmatched += counts.no_bids[r];
  }
  // Counters are read one by one while bids go on: never let a stage exceed the one before.
  f.eligible = f.parsed - std::min(f.parsed, unmatched);
  f.bid = std::min(f.eligible, f.parsed - std::min(f.parsed, no_bids));
  auto taken = [&](size_t kind) {
    using R = service::Metrics::NoticeResult;
    const auto& n = counts.notices[kind];
    return n[static_cast<size_t>(R::kCharged)] + n[static_cast<size_t>(R::kCounted)] +
           n[static_cast<size_t>(R::kOverBudget)] + n[static_cast<size_t>(R::kLate)];
  };
  f.won = taken(static_cast<size_t>(engine::NoticeKind::kWin));
  f.billed = taken(static_cast<size_t>(engine::NoticeKind::kBill));
  return f;
}

double HistogramQuantile(std::span<const uint64_t> buckets, std::span<const int64_t> bounds,
                         double q) {
  uint64_t total = 0;
  for (uint64_t n : buckets) total += n;
  if (total == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  double cumulative = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    const double next = cumulative + static_cast<double>(buckets[b]);
    if (next >= rank && buckets[b] > 0) {
      if (b >= bounds.size()) return bounds.empty() ? 0 : static_cast<double>(bounds.back());
      const double lower = b == 0 ? 0.0 : static_cast<double>(bounds[b - 1]);
      const double upper = static_cast<double>(bounds[b]);
      return lower + (upper - lower) * (rank - cumulative) / static_cast<double>(buckets[b]);
    }
    cumulative = next;
  }
  return bounds.empty() ? 0 : static_cast<double>(bounds.back());
}

}  // namespace vetrina::status
