// The order in which a worker serves the requests it has read, and which it sheds: adaptive LIFO
// with a CoDel-style switch, after Facebook's "Fail at Scale" (Maurer, ACM Queue 2015).
//
// A request's queueing delay is its age when the worker reads it (counted from when the kernel
// received it). While the smallest delay seen in an interval stays under `target`, the worker
// keeps up and serves every request at once, in the order it reads them. Once even the smallest
// delay of a whole interval was above `target`, the worker is overloaded: everything read waits
// here, the newest request is served first (it can still make its deadline; in arrival order
// every request would be served late), and requests older than `shed_after` are shed (the
// handler answers them at once, cheaply, so the client can send a fresh request on that
// connection). The switch back happens when an interval's smallest delay is under `target` again.
//
//   AdmissionQueue queue(options);
//   if (queue.ShouldWait(arrived, now)) { Ticket t = queue.Push(arrived); ... wait ... }
//   AdmissionQueue::Next next = queue.Pop(now);  // serve next.serve, shed next.shed
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace vetrina::http {

// Not thread-safe: one per worker.
class AdmissionQueue {
 public:
  struct Options {
    absl::Duration target = absl::Milliseconds(5);
    absl::Duration interval = absl::Milliseconds(100);
    // Overloaded, a request not served this long after it arrived will not be: newer ones come
    // first. Shed, its connection carries a fresh request sooner.
    absl::Duration shed_after = absl::Milliseconds(40);
  };
  using Ticket = uint64_t;

  explicit AdmissionQueue(Options options) : options_(options) {}

  // Records the delay of a request read at `now` that arrived at `arrived`, and says whether it
  // must wait its turn here (overloaded, or others are waiting) rather than be served at once.
  bool ShouldWait(absl::Time arrived, absl::Time now);
  Ticket Push(absl::Time arrived);

  struct Next {
    std::vector<Ticket> serve;  // in this order
    std::vector<Ticket> shed;
  };
  // What to do now with every waiting request: overloaded, shed those older than shed_after
  // and serve the rest newest first; else serve them oldest first.
  Next Pop(absl::Time now);

  bool overloaded() const { return overloaded_; }
  // True once per interval that ended since the last call (when the mode was decided anew).
  bool TakeIntervalEnd() { return std::exchange(interval_ended_, false); }
  size_t waiting() const { return waiting_.size(); }

 private:
  const Options options_;
  // By arrival time, then ticket (unique keys, so ties keep their order).
  std::set<std::pair<absl::Time, Ticket>> waiting_;
  Ticket next_ticket_ = 0;
  bool overloaded_ = false;
  bool interval_ended_ = false;
  absl::Time interval_end_ = absl::InfinitePast();
  absl::Duration min_delay_ = absl::InfiniteDuration();
};

}  // namespace vetrina::http
