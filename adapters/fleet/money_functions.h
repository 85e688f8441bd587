// The Redis Function library that keeps a fleet's campaign accounts (vetrina_money): what it
// does is documented in its source, money_functions.cpp, and in docs/money.md.
#pragma once

#include <string>
#include <string_view>

namespace vetrina::fleet {

// The library's Lua source, for FUNCTION LOAD REPLACE.
extern const std::string_view kMoneyFunctions;

// Accounts are spread over this many hash tags, so a Redis Cluster spreads them over its masters
// and one FCALL renews every lease a node holds in one of them.
inline constexpr int kAccountBuckets = 16;
int AccountBucket(std::string_view campaign_id);
// "vt:{money:B}:account:<campaign id>".
std::string AccountKey(std::string_view campaign_id);

}  // namespace vetrina::fleet
