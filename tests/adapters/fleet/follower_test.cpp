#include "adapters/fleet/follower.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "../../support/log_capture.h"

namespace vetrina::fleet {
namespace {

// Waits (bounded) until the follower has completed `rounds` more rounds.
void AwaitRounds(const Follower& follower, uint64_t rounds) {
  const uint64_t target = follower.rounds() + rounds;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (follower.rounds() < target && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));  // polling another thread's progress
  }
  REQUIRE(follower.rounds() >= target);
}

TEST_CASE("every step runs each round; a failing step is reported and retried", "[fleet]") {
  vetrina::testing::LogCapture log;  // outlives the follower's thread
  std::atomic<int> catalog_runs{0};
  std::atomic<bool> market_down{true};
  Follower follower({{"catalog",
                      [&] {
                        ++catalog_runs;
                        return absl::OkStatus();
                      }},
                     {"market",
                      [&] {
                        return market_down.load() ? absl::UnavailableError("redis down")
                                                  : absl::OkStatus();
                      }}},
                    absl::Milliseconds(1));
  follower.Start();
  AwaitRounds(follower, 3);
  CHECK(catalog_runs.load() >= 3);  // the failing step does not stop the others
  CHECK(follower.last_error() == absl::UnavailableError("redis down"));
  market_down = false;
  AwaitRounds(follower, 2);
  CHECK(follower.last_error().ok());
  // Logged when it starts failing and when it works again, not every round.
  const std::vector<std::string> failed = log.Lines("follow_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].find("\"level\":\"warn\",\"event\":\"follow_failed\",\"store\":\"market\","
                       "\"status\":\"UNAVAILABLE: redis down\"") != std::string::npos);
  CHECK(log.Count("follow_resumed") == 1);
}

TEST_CASE("a follower that was never started stops at once") {
  Follower follower({{"nothing", [] { return absl::InternalError("never run"); }}}, absl::Hours(1));
  CHECK(follower.rounds() == 0);
}

}  // namespace
}  // namespace vetrina::fleet
