// Even pacing: a throttle (the probability of bidding when eligible) that a feedback loop
// adjusts so the day's spend follows the plan, whatever the traffic does. Every control
// interval it compares the spend rate it saw at its last throttle with the rate that would spend
// the rest of the budget evenly over the rest of the day, and moves the throttle toward the
// ratio. A quiet hour leaves budget that later hours catch up on; a traffic spike is throttled.
//
//   PacingController pacing;
//   pacing.Update(now, day_start, daily_budget, spent_today);  // cheap when not due
//   if (rng.Bernoulli(pacing.rate())) -> bid
#pragma once

#include <cstdint>

#include "absl/time/time.h"
#include "engine/core/money.h"

namespace vetrina::engine {

class PacingController {
 public:
  static constexpr absl::Duration kInterval = absl::Minutes(1);
  static constexpr double kMinRate = 0.0005;

  // Starts a new day at full rate.
  void Reset(absl::Time day_start, Micros spent);
  // Adjusts the rate when a control interval has passed since the last adjustment. `spent` is
  // today's spend including open reservations.
  void Update(absl::Time now, absl::Time day_start, Micros daily_budget, Micros spent);

  double rate() const { return rate_; }
  // Today's spend the plan expects by `now`.
  static Micros Planned(absl::Time now, absl::Time day_start, Micros daily_budget);

 private:
  double rate_ = 1.0;
  absl::Time last_update_ = absl::InfinitePast();
  Micros spent_at_last_update_ = 0;
};

}  // namespace vetrina::engine
