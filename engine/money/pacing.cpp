#include "engine/money/pacing.h"

#include <algorithm>

namespace vetrina::engine {

void PacingController::Reset(absl::Time day_start, Micros spent) {
  rate_ = 1.0;
  last_update_ = day_start;
  spent_at_last_update_ = spent;
}

Micros PacingController::Planned(absl::Time now, absl::Time day_start, Micros daily_budget) {
  const double elapsed = std::clamp(absl::FDivDuration(now - day_start, absl::Hours(24)), 0.0, 1.0);
  return static_cast<Micros>(static_cast<double>(daily_budget) * elapsed);
}

void PacingController::Update(absl::Time now, absl::Time day_start, Micros daily_budget,
                              Micros spent) {
  if (last_update_ < day_start) Reset(day_start, 0);
  const absl::Duration since = now - last_update_;
  if (since < kInterval) return;
  const double seconds = absl::FDivDuration(since, absl::Seconds(1));
  const double remaining_seconds =
      std::max(1.0, absl::FDivDuration(day_start + absl::Hours(24) - now, absl::Seconds(1)));
  const double wanted_rate = static_cast<double>(daily_budget - spent) / remaining_seconds;
  const double observed_rate = static_cast<double>(spent - spent_at_last_update_) / seconds;
  double target;
  if (wanted_rate <= 0) {
    target = kMinRate;  // spent: the budget check stops bids; keep a trickle of learning
  } else if (observed_rate <= 0) {
    target = std::min(1.0, rate_ * 2);  // nothing spent at this rate: open up
  } else {
    // What full rate would spend, from what this rate spent; bid the fraction that meets the
    // plan.
    target = wanted_rate / (observed_rate / rate_);
  }
  // Move halfway: damps the noise of one interval's auctions.
  rate_ = std::clamp(0.5 * rate_ + 0.5 * target, kMinRate, 1.0);
  last_update_ = now;
  spent_at_last_update_ = spent;
}

}  // namespace vetrina::engine
