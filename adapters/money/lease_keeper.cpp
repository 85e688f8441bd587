#include "adapters/money/lease_keeper.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "adapters/fleet/money_functions.h"
#include "base/strings.h"

namespace vetrina::money {
namespace {

using redis::RedisReply;

// Accounts per FCALL: bounds how long one call holds Redis.
constexpr size_t kAccountsPerCall = 256;
// How long one call may take; a renewal that slow is retried at the next.
constexpr absl::Duration kCallTimeout = absl::Seconds(2);

bool IsInteger(const RedisReply& r) { return r.type == RedisReply::Type::kInteger; }

// One account's part of vt_lease's reply.
struct Granted {
  int64_t status = 0;
  engine::Micros outstanding = 0;
  LeaseKeeper::AccountView view;
  std::vector<std::string> expired;
};

bool ParseGranted(const RedisReply& r, Granted* g) {
  if (r.type != RedisReply::Type::kArray || r.elements.size() != 7) return false;
  for (size_t i = 0; i < 6; ++i) {
    if (!IsInteger(r.elements[i])) return false;
  }
  if (r.elements[6].type != RedisReply::Type::kArray) return false;
  g->status = r.elements[0].integer;
  g->outstanding = r.elements[1].integer;
  g->view.settled_lifetime = r.elements[2].integer;
  g->view.settled_today = r.elements[3].integer;
  g->view.leased = r.elements[4].integer;
  g->view.leases = r.elements[5].integer;
  for (const RedisReply& e : r.elements[6].elements) {
    if (e.type != RedisReply::Type::kString) return false;
    g->expired.push_back(e.str);
  }
  return true;
}

}  // namespace

LeaseKeeper::LeaseKeeper(const redis::RedisLink& link, engine::MoneyState& money,
                         SpendWriter& writer, const vetrina::Clock& clock, ListCampaigns campaigns,
                         Options options)
    : link_(link),
      money_(money),
      writer_(writer),
      clock_(clock),
      campaigns_(std::move(campaigns)),
      options_(options) {}

LeaseKeeper::~LeaseKeeper() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status LeaseKeeper::LoadFunctions() const {
  return link_.CallEveryMaster(
      {"FUNCTION", "LOAD", "REPLACE", std::string(fleet::kMoneyFunctions)});
}

void LeaseKeeper::Start() {
  RenewOnce();
  thread_ = std::thread([this] { Run(); });
}

void LeaseKeeper::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.terms.renew_every)) return;
    }
    RenewOnce();
  }
}

void LeaseKeeper::RenewOnce() {
  absl::MutexLock renewing(&renew_mu_);
  CloseExpired();
  RenewAll(/*handing_back=*/false);
}

void LeaseKeeper::HandBack() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock renewing(&renew_mu_);
  RenewAll(/*handing_back=*/true);
}

LeaseKeeper::Renewal LeaseKeeper::Plan(const Budgeted& campaign, absl::Time now,
                                       bool handing_back) {
  engine::CampaignAccount& account = money_.ledger.Account(campaign.id);
  Held& held = held_[campaign.id];
  if (held.known && now - held.started > options_.terms.max_age) {
    // An old lease lapses (and is closed like a dead node's); a new one takes over, so no node
    // has to remember a lease's charges for longer than max_age and its hold.
    held = Held{};
  }
  if (held.epoch == 0) {
    held.epoch = ++next_epoch_;
    held.started = now;
  }
  engine::LeaseState state = account.Lease();
  if (held.last != absl::Time() && now > held.last) {
    const double rate = static_cast<double>(state.asked_total - held.asked_total) /
                        absl::ToDoubleSeconds(now - held.last);
    held.asked_per_second = 0.5 * held.asked_per_second + 0.5 * rate;
  }
  held.asked_total = state.asked_total;
  held.last = now;
  const bool current = state.epoch == held.epoch;
  const engine::Micros reserved = current ? state.reserved : 0;
  const engine::Micros ahead = engine::LeaseWant(
      {.owed = 0, .asked_per_second = held.asked_per_second, .largest_bid = state.largest_bid},
      options_.terms);
  // A lease gives back only what its node has already taken out of its own room, so no bid can
  // be reserved against money Redis no longer holds for it.
  engine::Micros shrink = 0;
  if (handing_back) {
    shrink = account.ShrinkLease(state.epoch, 0, /*stop=*/true);
  } else if (current && state.room() > 2 * ahead) {
    shrink = account.ShrinkLease(state.epoch, ahead, /*stop=*/false);
  }
  const bool enough = held.known && current && !handing_back && shrink == 0 &&
                      state.room() >= ahead / 2 && state.bid_until - now > options_.terms.term / 2;
  return Renewal{.id = campaign.id,
                 .account = &account,
                 .lease = {writer_.incarnation(), held.epoch},
                 .known = held.known,
                 .want = shrink > 0 || handing_back ? 0 : reserved + ahead,
                 .shrink = shrink,
                 .limits = campaign.limits,
                 .cum = 0,
                 .min_grant = state.largest_bid,
                 .skip_unless_charged = enough};
}

void LeaseKeeper::AskNoticeLogTime() {
  // TIME where the notice log lives: the clock its entries' times come from.
  absl::StatusOr<RedisReply> reply = link_.Call(options_.notice_log_key, {"TIME"}, kCallTimeout);
  int64_t seconds = 0, micros = 0;
  if (!reply.ok() || reply->type != RedisReply::Type::kArray || reply->elements.size() != 2 ||
      !absl::SimpleAtoi(reply->elements[0].str, &seconds) ||
      !absl::SimpleAtoi(reply->elements[1].str, &micros)) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  writer_.RequestWatermark(absl::FromUnixSeconds(seconds) + absl::Microseconds(micros));
}

void LeaseKeeper::RenewAll(bool handing_back) {
  AskNoticeLogTime();
  const absl::Time now = clock_.Now();
  const absl::Time bid_until = handing_back ? now : now + options_.terms.term;
  const absl::Time hold = options_.terms.HoldUntil(bid_until);
  std::vector<std::vector<Renewal>> buckets(fleet::kAccountBuckets);
  {
    const std::vector<Budgeted> campaigns = campaigns_();
    absl::MutexLock lock(&mu_);
    for (const Budgeted& c : campaigns) {
      buckets[fleet::AccountBucket(c.id)].push_back(Plan(c, now, handing_back));
    }
  }
  writer_.ReadBook([&](const engine::NoticeBook& book) {
    for (std::vector<Renewal>& bucket : buckets) {
      for (Renewal& r : bucket) r.cum = book.LeaseCharged({r.id, r.lease});
    }
  });
  {
    absl::MutexLock lock(&mu_);
    for (std::vector<Renewal>& bucket : buckets) {
      std::erase_if(bucket, [&](const Renewal& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return r.skip_unless_charged && r.cum == held_[r.id].committed;
      });
    }
  }
  for (std::vector<Renewal>& bucket : buckets) {
    for (size_t start = 0; start < bucket.size(); start += kAccountsPerCall) {
      std::vector<Renewal> part(bucket.begin() + start,
                                bucket.begin() + std::min(bucket.size(), start + kAccountsPerCall));
      RenewBucket(part, bid_until, hold);
    }
  }
}

void LeaseKeeper::RenewBucket(std::vector<Renewal>& renewals, absl::Time bid_until,
                              absl::Time hold) {
  std::vector<std::string> command = {"FCALL", "vt_lease", std::to_string(renewals.size())};
  for (const Renewal& r : renewals) command.push_back(fleet::AccountKey(r.id));
  for (const Renewal& r : renewals) {
    for (std::string& arg : std::vector<std::string>{
             engine::LeaseName(r.lease), r.known ? "1" : "0", std::to_string(r.want),
             std::to_string(r.limits.daily), std::to_string(r.limits.lifetime),
             std::to_string(r.cum), std::to_string(absl::ToUnixMillis(hold)),
             std::to_string(r.min_grant), std::to_string(r.shrink)}) {
      command.push_back(std::move(arg));
    }
  }
  calls_.fetch_add(1, std::memory_order_relaxed);
  const std::string key = command[3];
  absl::StatusOr<RedisReply> reply = link_.Call(key, std::move(command), kCallTimeout);
  if (!reply.ok() || reply->type != RedisReply::Type::kArray ||
      reply->elements.size() != renewals.size() + 1 || !IsInteger(reply->elements[0])) {
    // The deadlines stay where they are: the node bids on within what it holds, then stops.
    failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const absl::Time read_at = clock_.Now();
  // Under the writer's lock: no notice changes a lease's charges while its grant is set.
  writer_.ReadBook([&](const engine::NoticeBook& book) {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < renewals.size(); ++i) {
      const Renewal& r = renewals[i];
      Granted granted;
      if (!ParseGranted(reply->elements[i + 1], &granted)) {
        failures_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      granted.view.at = read_at;
      views_[r.id] = granted.view;
      for (std::string& lease : granted.expired) {
        expired_.push_back({r.id, std::move(lease)});
      }
      if (granted.status == 1) {
        held_[r.id] = Held{};  // closed while this node could not renew it: start another
        continue;
      }
      if (granted.status == 2) invariant_reports_.fetch_add(1, std::memory_order_relaxed);
      // Charges this node applied after reading `cum` are not committed yet: still owed.
      const engine::Micros uncommitted = book.LeaseCharged({r.id, r.lease}) - r.cum;
      r.account->GrantLease(r.lease.epoch, granted.outstanding - uncommitted, bid_until);
      held_[r.id].known = true;
      held_[r.id].committed = r.cum;
    }
  });
}

void LeaseKeeper::CloseExpired() {
  // The notice log's time up to which the follow has read every notice: a lease whose hold is
  // before it has all its charges in this node's book, and vt_close closes only such leases.
  const absl::Time watermark = writer_.watermark();
  std::vector<Expired> ready;
  {
    absl::MutexLock lock(&mu_);
    ready.swap(expired_);
  }
  if (ready.empty() || watermark == absl::InfinitePast()) return;
  std::sort(ready.begin(), ready.end(), [](const Expired& a, const Expired& b) {
    return std::tie(a.campaign_id, a.lease) < std::tie(b.campaign_id, b.lease);
  });
  ready.erase(std::unique(ready.begin(), ready.end(),
                          [](const Expired& a, const Expired& b) {
                            return a.campaign_id == b.campaign_id && a.lease == b.lease;
                          }),
              ready.end());
  std::vector<std::vector<std::pair<const Expired*, engine::Micros>>> buckets(
      fleet::kAccountBuckets);
  writer_.ReadBook([&](const engine::NoticeBook& book) {
    for (const Expired& e : ready) {
      const std::optional<engine::LeaseId> id = engine::ParseLeaseName(e.lease);
      const engine::Micros cum = id ? book.LeaseCharged({e.campaign_id, *id}) : 0;
      buckets[fleet::AccountBucket(e.campaign_id)].emplace_back(&e, cum);
    }
  });
  for (const auto& bucket : buckets) {
    if (bucket.empty()) continue;
    std::vector<std::string> command = {"FCALL", "vt_close", std::to_string(bucket.size())};
    for (const auto& [e, cum] : bucket) command.push_back(fleet::AccountKey(e->campaign_id));
    command.push_back(std::to_string(absl::ToUnixMillis(watermark)));
    for (const auto& [e, cum] : bucket) {
      command.push_back(e->lease);
      command.push_back(std::to_string(cum));
    }
    calls_.fetch_add(1, std::memory_order_relaxed);
    const std::string key = command[3];
    absl::StatusOr<RedisReply> reply = link_.Call(key, std::move(command), kCallTimeout);
    if (!reply.ok() || !IsInteger(*reply)) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      continue;  // seen expired again at the next renewal
    }
    closed_.fetch_add(static_cast<uint64_t>(reply->integer), std::memory_order_relaxed);
  }
}

std::optional<LeaseKeeper::AccountView> LeaseKeeper::View(std::string_view campaign_id) const {
  absl::MutexLock lock(&mu_);
  auto it = views_.find(absl::string_view(campaign_id.data(), campaign_id.size()));
  if (it == views_.end()) return std::nullopt;
  return it->second;
}

}  // namespace vetrina::money
