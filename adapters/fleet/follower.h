// Runs each of a node's follow steps (the catalog's, the market settings') every `interval` on
// one background thread, so the node picks up what other nodes appended to the shared logs. A
// failing step (Redis down) is retried at the same pace; the link reconnects by itself. A change
// of a step's state (failing, recovered) is written to stderr once.
//
//   Follower follower({{"catalog", [&] { return catalog.Follow(); }}}, absl::Milliseconds(20));
//   follower.Start();
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace vetrina::fleet {

struct FollowStep {
  std::string name;
  std::function<absl::Status()> follow;
};

// Thread-safe.
class Follower {
 public:
  Follower(std::vector<FollowStep> steps, absl::Duration interval);
  ~Follower();  // stops and joins the thread
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  void Start();
  // Rounds completed (every step run once per round).
  uint64_t rounds() const { return rounds_.load(std::memory_order_relaxed); }
  // The first failing step's status in the last round; OK when every step succeeded.
  absl::Status last_error() const;

 private:
  void Run();

  const std::vector<FollowStep> steps_;
  const absl::Duration interval_;
  std::atomic<uint64_t> rounds_{0};
  mutable absl::Mutex mu_;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace vetrina::fleet
