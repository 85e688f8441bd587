#include "engine/privacy/user_data.h"

#include <catch2/catch.hpp>

namespace vetrina::engine {
namespace {

TEST_CASE("COPPA: a child-directed decision keeps no per-user key, whichever rule set the flag") {
  // As a rule that sets only the flag (a known child from GPP) leaves it.
  PrivacyDecision child;
  child.child_directed = true;
  child.capping_ifv_only = true;
  WithholdChildData(&child);
  CHECK_FALSE(child.audiences_allowed);
  CHECK_FALSE(child.ifa_allowed);
  CHECK_FALSE(child.capping_allowed);
  CHECK_FALSE(child.capping_ifv_only);
  CHECK_FALSE(child.personal_data_in_notices);
  CHECK(child.child_directed);
}

TEST_CASE("COPPA: a decision that is not child-directed is left as the rules made it") {
  PrivacyDecision adult;
  adult.capping_ifv_only = true;
  adult.ifa_allowed = false;
  WithholdChildData(&adult);
  CHECK(adult.audiences_allowed);
  CHECK_FALSE(adult.ifa_allowed);
  CHECK(adult.capping_allowed);
  CHECK(adult.capping_ifv_only);
  CHECK(adult.personal_data_in_notices);
}

TEST_CASE("retention: every sweep and rewrite runs well within the periods it enforces") {
  CHECK(retention::kMembershipMaxDays == kMaxAudienceTtlDays);
  CHECK(retention::kSweepEvery < retention::kJournalCompactEvery);
  CHECK(retention::kJournalCompactEvery < retention::kFrequencyCounts);
}

}  // namespace
}  // namespace vetrina::engine
