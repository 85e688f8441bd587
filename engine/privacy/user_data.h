// What the bidder keeps about users, and for how long: the one place that says it in code.
// docs/privacy.md ("COPPA", "Retention") lists every store with the constant that bounds it.
//
// A child's data is never stored (COPPA as amended in 2025): whichever rule found the request
// child-directed (regs.coppa, a registered child-directed app, a known child), the decision
// also turns off every per-user key, so no audience membership, frequency count or notice user
// hash comes from it.
//
//   PrivacyDecision d = DecidePrivacy(request, policy);
//   WithholdChildData(&d);  // before any user key is computed
#pragma once

#include "absl/time/time.h"
#include "engine/audience/audience.h"
#include "engine/privacy/privacy.h"

namespace vetrina::engine {

// Child-directed: no audience lookup or write, no IFA, no frequency key, no user hash in
// notices. Keyed on the flag, not on the rule that set it, so a new child rule needs no change
// here.
inline void WithholdChildData(PrivacyDecision* decision) {
  if (!decision->child_directed) return;
  decision->audiences_allowed = false;
  decision->ifa_allowed = false;
  decision->capping_allowed = false;
  decision->capping_ifv_only = false;
  decision->personal_data_in_notices = false;
}

namespace retention {

// Audience memberships (by user key): each expires with its audience's TTL, which is at most
// this; the store sweeps expired users.
inline constexpr int kMembershipMaxDays = kMaxAudienceTtlDays;
// Frequency counts (by user hash and campaign): the longest cap period. Counts of a past
// calendar week are swept.
inline constexpr absl::Duration kFrequencyCounts = absl::Hours(7 * 24);
// How often the writers sweep expired memberships and frequency counts.
inline constexpr absl::Duration kSweepEvery = absl::Hours(1);
// The journals on disk and the fleet's Redis streams keep every record until they are rewritten
// as the live state: they are rewritten at least this often, so an expired record outlives its
// store's retention by at most this much.
inline constexpr absl::Duration kJournalCompactEvery = absl::Hours(24);

}  // namespace retention
}  // namespace vetrina::engine
