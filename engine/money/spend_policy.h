// The bid path's BidPolicy: frequency caps, budget and pacing from the shared money state, the
// CTR model for CPC bids. One per request (it holds the request's user, app and time).
//
//   SpendPolicy policy(money, rng, now, request.publication.bundle, &user_secret, capping_key);
//   RunAuction(request, campaigns, {.now = now, .policy = &policy, ...});
//   token.user = policy.user();  // for a bid of a campaign with caps
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "base/random.h"
#include "base/sha256.h"
#include "engine/auction/auction.h"
#include "engine/audience/audience_key.h"
#include "engine/money/budget.h"
#include "engine/money/ctr_model.h"
#include "engine/money/frequency.h"

namespace vetrina::engine {

// The money and user state bids and notices share. Thread-safe.
struct MoneyState {
  // `notice_window`: how long the exchange may report a bid (its token's lifetime). A fleet
  // holds reservations longer, for `reservation_hold` (LeaseTerms::ChargeableUntil).
  explicit MoneyState(absl::Duration notice_window = absl::Seconds(60),
                      absl::Duration reservation_hold = absl::ZeroDuration())
      : notice_window(notice_window), ledger(std::max(notice_window, reservation_hold)) {}
  const absl::Duration notice_window;
  BudgetLedger ledger;
  FrequencyStore frequency;
  CtrModel ctr;
};

// The user key frequency caps and notice tokens carry: HMAC-SHA256 under the data dir's secret
// of the audience key of the user's ifa, ifv or user id, first 64 bits. It reveals nothing about
// the id and does not link users across deployments. Never 0 (0 means "no user").
uint64_t FrequencyUserKey(const HmacSha256Key& secret, const AudienceKey& id);

// Not thread-safe: one per request.
class SpendPolicy final : public BidPolicy {
 public:
  enum class Mode {
    kBid,     // a real bid: pacing draws, and a day's first look rolls the account over
    kDryRun,  // explain: reads only (CampaignAccount::Check), creates no account, draws nothing
  };
  // `capping_id` is the audience key of the id caps count under (nullopt: the user may not be
  // capped, so caps do not apply); `app` the bundle or domain the ad would run in.
  SpendPolicy(MoneyState& money, Rng& rng, absl::Time now, std::string_view app,
              const HmacSha256Key& user_secret, std::optional<AudienceKey> capping_id,
              Mode mode = Mode::kBid)
      : money_(money),
        rng_(rng),
        now_(now),
        app_(app),
        user_secret_(user_secret),
        capping_id_(capping_id),
        mode_(mode) {}

  NoBidReason Admit(const Campaign& campaign) override;
  int64_t PredictCtrPpm(const Campaign& campaign, const Creative& creative) override;

  // FrequencyUserKey of the capping id, computed on first use; 0 without one.
  uint64_t user();

 private:
  MoneyState& money_;
  Rng& rng_;
  const absl::Time now_;
  const std::string_view app_;
  const HmacSha256Key& user_secret_;
  const std::optional<AudienceKey> capping_id_;
  const Mode mode_;
  std::optional<uint64_t> user_;
};

}  // namespace vetrina::engine
