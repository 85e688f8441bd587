#include "adapters/http/admission.h"

#include <catch2/catch.hpp>

namespace vetrina::http {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr absl::Duration kMs = absl::Milliseconds(1);

TEST_CASE("a worker that keeps up serves every request at once") {
  AdmissionQueue q({});
  for (int i = 0; i < 1'000; ++i) {
    const absl::Time now = kT0 + i * kMs;
    CHECK_FALSE(q.ShouldWait(now - absl::Microseconds(300), now));
  }
  CHECK_FALSE(q.overloaded());
}

TEST_CASE("a standing queue turns on LIFO and shedding; a quiet interval turns them off") {
  AdmissionQueue q({.target = 5 * kMs, .interval = 100 * kMs, .shed_after = 40 * kMs});
  absl::Time now = kT0;
  // A whole interval in which every request had waited at least 20 ms: a standing queue.
  for (int i = 0; i <= 100; ++i, now += kMs) q.ShouldWait(now - 20 * kMs, now);
  REQUIRE(q.ShouldWait(now - 20 * kMs, now));
  CHECK(q.overloaded());

  // Requests that arrived 50, 8, 2 and 1 ms ago wait: the newest are served first, the one past
  // shed_after is shed.
  const auto old = q.Push(now - 50 * kMs);
  const auto middle = q.Push(now - 8 * kMs);
  const auto newest = q.Push(now - 1 * kMs);
  const auto newer = q.Push(now - 2 * kMs);
  AdmissionQueue::Next next = q.Pop(now);
  CHECK(next.shed == std::vector{old});
  CHECK(next.serve == std::vector{newest, newer, middle});
  CHECK(q.waiting() == 0);
  // Later, requests older than shed_after are shed and nothing is served.
  q.Push(now - 45 * kMs);
  next = q.Pop(now);
  CHECK(next.serve.empty());
  CHECK(next.shed.size() == 1);

  // An interval whose smallest delay is under target again: back to serving at once, in order.
  now += 100 * kMs;
  for (int i = 0; i <= 100; ++i, now += kMs) q.ShouldWait(now - 1 * kMs, now);
  CHECK_FALSE(q.ShouldWait(now - 1 * kMs, now));
  CHECK_FALSE(q.overloaded());
}

TEST_CASE("without overload, requests that wait are served oldest first and never shed") {
  AdmissionQueue q({});
  const auto first = q.Push(kT0);
  const auto second = q.Push(kT0 + kMs);
  // Others wait: a new request queues behind them.
  CHECK(q.ShouldWait(kT0 + 2 * kMs, kT0 + 2 * kMs));
  AdmissionQueue::Next next = q.Pop(kT0 + absl::Seconds(1));
  CHECK(next.serve == std::vector{first, second});
  CHECK(next.shed.empty());
}

}  // namespace
}  // namespace vetrina::http
