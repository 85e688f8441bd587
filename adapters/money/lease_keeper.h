// Keeps this node's budget leases in Redis (engine/money/lease.h explains leases): every
// renew_every, one FCALL vt_lease per account bucket commits what the node's leases have been
// charged (as the notice log told it), resizes each toward what the node's recent bids ask for,
// and extends its bidding deadline by the lease's term, for every live campaign with a budget. A
// lease is left out of a renewal while it needs nothing: no charge to commit, room for its
// demand, and more than half its term ahead; so an idle campaign costs Redis one account update
// per half term. Leases
// whose hold has passed (their holder died or stopped) are closed with the charges every node has
// read for them, once the spend writer's follow has read past the time Redis gave
// (SpendWriter::RequestWatermark). Runs on its own thread: the bid path never waits on Redis.
// When Redis cannot be reached, the deadlines stop moving and the node stops bidding on budgeted
// campaigns once they pass.
//
//   LeaseKeeper keeper(link, money, writer, clock, list_campaigns, {.terms = terms});
//   VETRINA_RETURN_IF_ERROR(keeper.LoadFunctions());
//   keeper.Start();
//   ...
//   keeper.HandBack();  // SIGTERM: stop bidding, give back what no open bid needs
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/money/spend_writer.h"
#include "adapters/redis/redis_link.h"
#include "base/clock.h"
#include "engine/money/budget.h"
#include "engine/money/lease.h"

namespace vetrina::money {

// Thread-safe.
class LeaseKeeper {
 public:
  struct Budgeted {
    std::string id;
    engine::BudgetLimits limits;
  };
  // The campaigns that may bid now and have a budget.
  using ListCampaigns = std::function<std::vector<Budgeted>()>;
  struct Options {
    engine::LeaseTerms terms;
    // The notice log's stream key: its server's clock stamps the notices (in a Redis Cluster,
    // the master of its slot).
    std::string notice_log_key = "vt:{notices}:log";
  };
  // `writer` must have been opened with Options::leases.
  LeaseKeeper(const redis::RedisLink& link, engine::MoneyState& money, SpendWriter& writer,
              const vetrina::Clock& clock, ListCampaigns campaigns, Options options);
  ~LeaseKeeper();  // stops the thread
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // FUNCTION LOAD REPLACE of the vetrina_money library on every master.
  absl::Status LoadFunctions() const;
  // Renews once, then every terms.renew_every on the keeper's thread.
  void Start();
  // Closes leases found expired whose charges the follow has read, then commits and renews
  // every lease. The thread's one step; tests call it directly.
  void RenewOnce();
  // Stops the thread and bidding on every leased campaign, and shrinks every lease to what its
  // open bids and uncommitted charges still need; the rest is free for other nodes at once.
  void HandBack();

  // This node's last view of a campaign's Redis account.
  struct AccountView {
    engine::Micros settled_lifetime = 0;
    engine::Micros settled_today = 0;
    engine::Micros leased = 0;  // every node's outstanding leases
    int64_t leases = 0;
    absl::Time at;  // when it was read (this node's clock)
  };
  std::optional<AccountView> View(std::string_view campaign_id) const;

  // FCALLs (vt_lease, vt_close); each renewal also asks the notice log's server its TIME.
  uint64_t redis_calls() const { return calls_.load(std::memory_order_relaxed); }
  uint64_t failed_calls() const { return failures_.load(std::memory_order_relaxed); }
  uint64_t closed_leases() const { return closed_.load(std::memory_order_relaxed); }
  // Accounts Redis found breaking settled + leases <= budget (a budget lowered below what was
  // already committed and leased).
  uint64_t invariant_reports() const { return invariant_reports_.load(std::memory_order_relaxed); }

 private:
  // This node's lease of one campaign, as the keeper knows it.
  struct Held {
    uint64_t epoch = 0;
    bool known = false;              // Redis granted it at least once
    engine::Micros asked_total = 0;  // the account's counter at the last renewal
    double asked_per_second = 0;
    absl::Time last;
    engine::Micros committed = 0;  // the charges Redis has committed from the lease
    absl::Time started;            // when this node began the lease (max_age)
  };
  // One account in one FCALL.
  struct Renewal {
    std::string id;
    engine::CampaignAccount* account;
    engine::LeaseId lease;
    bool known;
    engine::Micros want;    // what the lease should grow to (0: no growth)
    engine::Micros shrink;  // what the node took out of the lease's room: Redis frees it
    engine::BudgetLimits limits;
    engine::Micros cum;  // charged under the lease, as read before the call
    engine::Micros min_grant;
    // Nothing to do unless it was charged since its last commit: its room and deadline suffice.
    bool skip_unless_charged;
  };
  struct Expired {
    std::string campaign_id;
    std::string lease;
  };
  // One vt_lease call for the renewals of one bucket; `bid_until`/`hold` as sent.
  void RenewBucket(std::vector<Renewal>& renewals, absl::Time bid_until, absl::Time hold);
  void CloseExpired();
  // Asks the notice log's Redis server its time and gives it to the writer as the next
  // watermark (SpendWriter::RequestWatermark).
  void AskNoticeLogTime();
  Renewal Plan(const Budgeted& campaign, absl::Time now, bool handing_back)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RenewAll(bool handing_back);
  void Run();

  const redis::RedisLink& link_;
  engine::MoneyState& money_;
  SpendWriter& writer_;
  const vetrina::Clock& clock_;
  const ListCampaigns campaigns_;
  const Options options_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Held> held_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, AccountView> views_ ABSL_GUARDED_BY(mu_);
  std::vector<Expired> expired_ ABSL_GUARDED_BY(mu_);
  uint64_t next_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex renew_mu_;  // one renewal at a time (the thread's, or HandBack's)
  std::thread thread_;
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> closed_{0};
  std::atomic<uint64_t> invariant_reports_{0};
};

}  // namespace vetrina::money
