// What a verified notice does to money and counts, exactly once per bid. A win or billing notice
// settles a CPM bid's reservation at the reported price (or at our own price when the exchange
// left ${AUCTION_PRICE} literal); a loss releases it; an impression counts toward frequency caps
// and the CTR model; a click charges a CPC bid. A second notice of a kind for a bid id changes
// nothing.
//
// Every applied notice yields a NoticeEffect: the durable record of what it did. Replaying the
// effects (after a restart) restores spend, counts and the duplicate filter without touching
// reservations, which did not survive.
//
//   NoticeBook book(money);
//   NoticeResult r = book.Apply(notice, limits, now);   // under the caller's lock
//   journal.Append(EncodeEffect(r.effect));           // then acknowledge
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/money/budget.h"
#include "engine/money/lease.h"
#include "engine/money/notice_token.h"
#include "engine/money/spend_policy.h"

namespace vetrina::engine {

enum class NoticeKind : uint8_t { kWin, kBill, kLoss, kImpression, kClick };
std::string_view NoticeKindName(NoticeKind kind);

struct Notice {
  NoticeKind kind = NoticeKind::kWin;
  NoticeToken token;
  // ${AUCTION_PRICE} as the exchange substituted it, CPM micros of token.currency; nullopt when
  // left literal or absent.
  std::optional<Micros> reported_price;
};

// Flags of what has happened to one bid.
enum NoticeFlag : uint8_t {
  kWon = 1,    // a win or bill notice arrived (money settled for CPM)
  kLost = 2,   // a loss notice arrived before any win
  kShown = 4,  // an impression was counted (impression tracker or bill)
  kClicked = 8,
};

// The durable record of an applied notice.
struct NoticeEffect {
  NoticeKind kind = NoticeKind::kWin;
  std::string bid_id;
  std::string campaign_id;
  std::string creative_id;
  std::string app;
  uint64_t user = 0;
  DayIndex day = 0;  // of the bid: spend belongs to that day
  absl::Time at;     // when the notice was applied
  absl::Time expires;
  uint8_t new_flags = 0;  // the flags this notice set
  Micros charged = 0;     // USD micros charged to the campaign
  friend bool operator==(const NoticeEffect&, const NoticeEffect&) = default;
};

struct NoticeResult {
  enum class Status {
    kApplied,     // something changed; `effect` must be made durable before acknowledging
    kDuplicate,   // already counted: nothing changed
    kPriceAbove,  // the reported price is above our bid: refused, nothing changed
    kOverBudget,  // a win without a reservation (from before a restart) that the budget
                  // cannot take: recorded as won, nothing charged
    kLate,        // a fleet notice the log took after its bid's lease stopped holding money for
                  // it (LeaseTerms::ChargeableUntil): recorded, nothing charged
  };
  Status status = Status::kApplied;
  NoticeEffect effect;
  // Everything charged for the bid so far, this notice included: what a retried notice is told,
  // so a client that lost an answer can still account for the bid exactly.
  Micros bid_charged = 0;
};

// Not thread-safe: the caller serialises Apply, Replay and Snapshot (the spend writer does,
// under the lock that also orders its journal). The MoneyState it updates is thread-safe.
class NoticeBook {
 public:
  explicit NoticeBook(MoneyState& money) : money_(money) {}

  // A fleet's rule for bids made under a lease: charged whether or not this node holds the
  // reservation, if the log took the notice by terms.ChargeableUntil(issued).
  void UseLeases(const LeaseTerms& terms) { lease_terms_ = terms; }

  // `limits` are the campaign's current budgets: they bound a charge only when the bid holds no
  // reservation. `logged_at`: when the fleet's log took the notice (leased bids need it).
  NoticeResult Apply(const Notice& notice, const BudgetLimits& limits, absl::Time now,
                     std::optional<absl::Time> logged_at = std::nullopt);
  // Re-applies an effect read back from the journal, as of `now`.
  void Replay(const NoticeEffect& effect, absl::Time now);

  // Forgets bids whose tokens expired (no notice for them can verify any more).
  size_t Expire(absl::Time now);
  size_t tracked_bids() const { return bids_.size(); }

  // What the duplicate filter knows, for the journal's compaction and its replay.
  struct BidState {
    uint8_t flags = 0;
    absl::Time expires;
    Micros charged = 0;  // everything charged for the bid so far
  };
  const absl::flat_hash_map<std::string, BidState>& bids() const { return bids_; }
  void RestoreBid(std::string bid_id, BidState state) { bids_[std::move(bid_id)] = state; }
  // Forgets every bid (before a shared log is replayed from its start).
  void Clear() {
    bids_.clear();
    lease_charges_.clear();
  }

  // Everything charged under each lease, by campaign: what its holder commits to Redis, and what
  // closes a lease whose holder died. Kept LeaseTerms::ForgetChargesAfter() past its last
  // charge.
  struct LeaseKey {
    std::string campaign_id;
    LeaseId lease;
    friend bool operator==(const LeaseKey&, const LeaseKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const LeaseKey& k) {
      return H::combine(std::move(h), k.campaign_id, k.lease);
    }
  };
  struct LeaseCharges {
    Micros charged = 0;
    absl::Time last;
  };
  Micros LeaseCharged(const LeaseKey& key) const;
  const absl::flat_hash_map<LeaseKey, LeaseCharges>& lease_charges() const {
    return lease_charges_;
  }
  void RestoreLeaseCharges(LeaseKey key, LeaseCharges charges) {
    lease_charges_[std::move(key)] = charges;
  }

 private:
  // Charges `charge` for the bid of `t` (made on `day`); false when the rules refuse it.
  NoticeResult::Status Charge(const NoticeToken& t, const BudgetLimits& limits, Micros charge,
                              DayIndex day, absl::Time now, std::optional<absl::Time> logged_at);
  // The duplicate filter and the counts of an effect; not its spend.
  void Count(const NoticeEffect& effect, absl::Time now);

  MoneyState& money_;
  absl::flat_hash_map<std::string, BidState> bids_;
  std::optional<LeaseTerms> lease_terms_;
  absl::flat_hash_map<LeaseKey, LeaseCharges> lease_charges_;
};

// Journal encoding of effects (wire.h).
std::string EncodeEffect(const NoticeEffect& effect);
absl::Status DecodeEffect(std::string_view bytes, NoticeEffect* effect);

}  // namespace vetrina::engine
