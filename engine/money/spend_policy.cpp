#include "engine/money/spend_policy.h"

#include <cstring>

namespace vetrina::engine {

uint64_t FrequencyUserKey(const HmacSha256Key& secret, const AudienceKey& id) {
  char bytes[16];
  std::memcpy(bytes, &id.hi, 8);
  std::memcpy(bytes + 8, &id.lo, 8);
  const Digest mac = secret.Sign(std::string_view(bytes, sizeof(bytes)));
  uint64_t key;
  std::memcpy(&key, mac.data(), 8);
  return key == 0 ? 1 : key;
}

uint64_t SpendPolicy::user() {
  if (!user_) user_ = capping_id_ ? FrequencyUserKey(user_secret_, *capping_id_) : 0;
  return *user_;
}

NoBidReason SpendPolicy::Admit(const Campaign& campaign) {
  if (!campaign.frequency_caps.empty() && !money_.frequency.Allows(user(), campaign, now_)) {
    return NoBidReason::kFrequencyCapped;
  }
  if (campaign.daily_budget == 0 && campaign.lifetime_budget == 0) return NoBidReason::kNone;
  if (mode_ == Mode::kDryRun) {
    const CampaignAccount* account = money_.ledger.FindAccount(campaign.id);
    return account == nullptr ? NoBidReason::kNone : account->Check(campaign, now_);
  }
  return money_.ledger.Account(campaign.id).Admit(campaign, now_, rng_);
}

int64_t SpendPolicy::PredictCtrPpm(const Campaign& campaign, const Creative& creative) {
  return money_.ctr.Predict(campaign.id, creative.id, app_);
}

}  // namespace vetrina::engine
