#include "adapters/http/admission.h"

#include <algorithm>

namespace vetrina::http {

bool AdmissionQueue::ShouldWait(absl::Time arrived, absl::Time now) {
  if (now >= interval_end_) {
    // An interval ended: its smallest delay decides the mode for the next one. Without any
    // request in it, nothing waited: not overloaded.
    if (interval_end_ != absl::InfinitePast()) {
      overloaded_ = min_delay_ > options_.target;
      interval_ended_ = true;
    }
    interval_end_ = now + options_.interval;
    min_delay_ = absl::InfiniteDuration();
  }
  min_delay_ = std::min(min_delay_, std::max(absl::ZeroDuration(), now - arrived));
  return overloaded_ || !waiting_.empty();
}

AdmissionQueue::Ticket AdmissionQueue::Push(absl::Time arrived) {
  const Ticket ticket = next_ticket_++;
  waiting_.emplace(arrived, ticket);
  return ticket;
}

AdmissionQueue::Next AdmissionQueue::Pop(absl::Time now) {
  Next next;
  if (!overloaded_) {
    for (const auto& [arrived, ticket] : waiting_) next.serve.push_back(ticket);
    waiting_.clear();
    return next;
  }
  const absl::Time oldest_kept = now - options_.shed_after;
  for (const auto& [arrived, ticket] : waiting_) {
    (arrived < oldest_kept ? next.shed : next.serve).push_back(ticket);
  }
  std::reverse(next.serve.begin(), next.serve.end());
  waiting_.clear();
  return next;
}

}  // namespace vetrina::http
