#include "adapters/fleet/follower.h"

#include "base/log.h"

namespace vetrina::fleet {

Follower::Follower(std::vector<FollowStep> steps, absl::Duration interval)
    : steps_(std::move(steps)), interval_(interval) {}

Follower::~Follower() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void Follower::Start() {
  thread_ = std::thread([this] { Run(); });
}

absl::Status Follower::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void Follower::Run() {
  std::vector<bool> failing(steps_.size(), false);
  do {
    absl::Status first_error;
    for (size_t i = 0; i < steps_.size(); ++i) {
      absl::Status s = steps_[i].follow();
      if (!s.ok() && first_error.ok()) first_error = s;
      if (s.ok() != failing[i]) continue;  // no change of state
      failing[i] = !s.ok();
      if (failing[i]) {
        LogWarn("follow_failed").Str("store", steps_[i].name).Status(s);
      } else {
        LogInfo("follow_resumed").Str("store", steps_[i].name);
      }
    }
    {
      absl::MutexLock lock(&mu_);
      last_error_ = first_error;
    }
    rounds_.fetch_add(1, std::memory_order_relaxed);
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace vetrina::fleet
