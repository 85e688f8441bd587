#include "engine/money/notice_book.h"

#include "absl/container/flat_hash_map.h"
#include "base/wire.h"

namespace vetrina::engine {
namespace {

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// The USD CPM the exchange reports, or nullopt when it is above our bid. `reported` is in the
// token's currency; we sent the bid rounded down into it, so compare there.
std::optional<Micros> ReportedUsd(const NoticeToken& token, Micros reported) {
  const Micros sent = static_cast<Micros>(static_cast<__int128>(token.bid_price) *
                                          token.rate_micros / kMicrosPerUnit);
  if (reported > sent) return std::nullopt;
  // Back to USD rounded down (in the advertiser's favour), and never above our bid.
  const auto usd =
      static_cast<Micros>(static_cast<__int128>(reported) * kMicrosPerUnit / token.rate_micros);
  return std::min(usd, token.bid_price);
}

}  // namespace

std::string_view NoticeKindName(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::kWin:
      return "win";
    case NoticeKind::kBill:
      return "bill";
    case NoticeKind::kLoss:
      return "loss";
    case NoticeKind::kImpression:
      return "imp";
    case NoticeKind::kClick:
      return "click";
  }
  return "unknown";
}

NoticeResult::Status NoticeBook::Charge(const NoticeToken& t, const BudgetLimits& limits,
                                        Micros charge, DayIndex day, absl::Time now,
                                        std::optional<absl::Time> logged_at) {
  using Status = NoticeResult::Status;
  if (lease_terms_ && !t.lease.valid() &&
      (limits.closed || limits.daily > 0 || limits.lifetime > 0)) {
    // A budgeted bid no lease covers (a token from before leases): Redis' account cannot hold it.
    money_.ledger.Release(t.bid_id);
    return Status::kOverBudget;
  }
  if (!t.lease.valid() || !lease_terms_ || !logged_at) {
    return money_.ledger.Settle(t.bid_id, t.campaign_id, limits, charge, day, now) ==
                   BudgetLedger::SettleResult::kOverBudget
               ? Status::kOverBudget
               : Status::kApplied;
  }
  if (*logged_at > lease_terms_->ChargeableUntil(t.issued)) {
    money_.ledger.Release(t.bid_id);
    return Status::kLate;
  }
  money_.ledger.SettleLeased(t.bid_id, t.campaign_id, t.lease, charge, day, now);
  LeaseCharges& charges = lease_charges_[LeaseKey{t.campaign_id, t.lease}];
  charges.charged += charge;
  charges.last = now;
  return Status::kApplied;
}

Micros NoticeBook::LeaseCharged(const LeaseKey& key) const {
  auto it = lease_charges_.find(key);
  return it == lease_charges_.end() ? 0 : it->second.charged;
}

NoticeResult NoticeBook::Apply(const Notice& notice, const BudgetLimits& limits, absl::Time now,
                               std::optional<absl::Time> logged_at) {
  const NoticeToken& t = notice.token;
  NoticeResult result;
  NoticeEffect& e = result.effect;
  e.kind = notice.kind;
  e.bid_id = t.bid_id;
  e.campaign_id = t.campaign_id;
  e.creative_id = t.creative_id;
  e.app = t.app;
  e.user = t.user;
  e.day = DayOf(t.issued);
  e.at = now;
  e.expires = t.expires;

  auto it = bids_.find(Absl(t.bid_id));
  const uint8_t flags = it == bids_.end() ? 0 : it->second.flags;
  const Micros charged_before = it == bids_.end() ? 0 : it->second.charged;
  auto duplicate = [&] {
    result.status = NoticeResult::Status::kDuplicate;
    result.bid_charged = charged_before;
    return result;
  };

  switch (notice.kind) {
    case NoticeKind::kWin:
    case NoticeKind::kBill: {
      // In-app, the billing notice fires when the ad renders: it is also the impression.
      const bool shows = notice.kind == NoticeKind::kBill && !(flags & kShown);
      if ((flags & kWon) && !shows) return duplicate();
      // A leased bid reported lost released its money, which the lease may have lent again.
      if ((flags & kLost) && t.lease.valid() && lease_terms_) return duplicate();
      if (!(flags & kWon)) {
        std::optional<Micros> price_usd = t.bid_price;
        if (notice.reported_price) {
          price_usd = ReportedUsd(t, *notice.reported_price);
          if (!price_usd) {
            result.status = NoticeResult::Status::kPriceAbove;
            return result;
          }
        }
        e.new_flags |= kWon;
        if (!t.cpc()) {
          // CPC bids pay per click; their reservation stays for the click.
          const Micros charge = ImpressionCharge(*price_usd);
          result.status = Charge(t, limits, charge, e.day, now, logged_at);
          if (result.status == NoticeResult::Status::kApplied) e.charged = charge;
        }
      }
      if (shows) e.new_flags |= kShown;
      break;
    }
    case NoticeKind::kLoss:
      if (flags & (kWon | kLost)) return duplicate();  // a loss after a win changes nothing
      e.new_flags |= kLost;
      money_.ledger.Release(t.bid_id);
      break;
    case NoticeKind::kImpression:
      if (flags & kShown) return duplicate();
      e.new_flags |= kShown;
      break;
    case NoticeKind::kClick: {
      if (flags & kClicked) return duplicate();
      if ((flags & kLost) && t.cpc() && t.lease.valid() && lease_terms_) return duplicate();
      e.new_flags |= kClicked;
      if (t.cpc()) {
        result.status = Charge(t, limits, t.click_price, e.day, now, logged_at);
        if (result.status == NoticeResult::Status::kApplied) e.charged = t.click_price;
      }
      break;
    }
  }
  // Counts and the duplicate filter, exactly as a replay will redo them.
  Count(e, now);
  result.bid_charged = charged_before + e.charged;
  return result;
}

void NoticeBook::Replay(const NoticeEffect& e, absl::Time now) {
  Count(e, now);
  if (e.charged > 0) money_.ledger.Account(e.campaign_id).Restore(e.charged, e.day, now);
}

void NoticeBook::Count(const NoticeEffect& e, absl::Time now) {
  if (e.expires > now) {
    BidState& state = bids_[e.bid_id];
    state.flags |= e.new_flags;
    state.expires = e.expires;
    state.charged += e.charged;
  }
  CampaignAccount& account = money_.ledger.Account(e.campaign_id);
  if (e.new_flags & kWon) {
    account.wins.fetch_add(1, std::memory_order_relaxed);
    // The charge is the CPM over a thousand impressions; CPC wins and uncharged ones have none.
    if (e.charged > 0 && (e.kind == NoticeKind::kWin || e.kind == NoticeKind::kBill)) {
      account.CountClearingPrice(e.charged * 1000);
    }
  }
  if (e.new_flags & kShown) {
    account.impressions.fetch_add(1, std::memory_order_relaxed);
    money_.ctr.RecordImpression(e.campaign_id, e.creative_id, e.app);
    money_.frequency.Record(e.user, e.campaign_id, e.at);
  }
  if (e.new_flags & kClicked) {
    account.clicks.fetch_add(1, std::memory_order_relaxed);
    money_.ctr.RecordClick(e.campaign_id, e.creative_id, e.app);
  }
}

size_t NoticeBook::Expire(absl::Time now) {
  if (lease_terms_) {
    // Long after the lease's last possible hold: it is closed (leases are rotated by max_age).
    const absl::Duration keep = lease_terms_->ForgetChargesAfter();
    absl::erase_if(lease_charges_,
                   [&](const auto& entry) { return entry.second.last + keep <= now; });
  }
  return absl::erase_if(bids_, [&](const auto& entry) { return entry.second.expires <= now; });
}

std::string EncodeEffect(const NoticeEffect& e) {
  ByteWriter w;
  w.Byte(static_cast<uint8_t>(e.kind));
  w.String(e.bid_id);
  w.String(e.campaign_id);
  w.String(e.creative_id);
  w.String(e.app);
  w.U64(e.user);
  w.I64(e.day);
  w.I64(absl::ToUnixMicros(e.at));
  w.I64(absl::ToUnixSeconds(e.expires));
  w.Byte(e.new_flags);
  w.I64(e.charged);
  return w.bytes();
}

absl::Status DecodeEffect(std::string_view bytes, NoticeEffect* e) {
  ByteReader r(bytes);
  uint8_t kind = 0;
  std::string_view bid, campaign, creative, app;
  int64_t at = 0, expires = 0;
  if (!r.Byte(&kind) || kind > static_cast<uint8_t>(NoticeKind::kClick) || !r.String(&bid) ||
      !r.String(&campaign) || !r.String(&creative) || !r.String(&app) || !r.U64(&e->user) ||
      !r.I64(&e->day) || !r.I64(&at) || !r.I64(&expires) || !r.Byte(&e->new_flags) ||
      !r.I64(&e->charged) || !r.done() || e->charged < 0) {
    return absl::DataLossError("malformed notice effect");
  }
  e->kind = static_cast<NoticeKind>(kind);
  e->bid_id = bid;
  e->campaign_id = campaign;
  e->creative_id = creative;
  e->app = app;
  e->at = absl::FromUnixMicros(at);
  e->expires = absl::FromUnixSeconds(expires);
  return absl::OkStatus();
}

}  // namespace vetrina::engine
