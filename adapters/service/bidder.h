// The bidder's shared state: the published snapshots (campaigns, audience definitions, market
// rules), the audience store, money, metrics, clock and readiness. One per process, shared by
// every worker's handlers.
//
//   Bidder bidder(clock, epoch, options, {.money = &money_state, ...});
//   bidder.PublishCampaigns(std::move(campaigns));   // any thread; readers never wait
//   bidder.SetReady();
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/audiences/membership_writer.h"
#include "adapters/http/server.h"
#include "adapters/money/lease_keeper.h"
#include "adapters/money/spend_writer.h"
#include "adapters/openrtb/response_writer.h"
#include "adapters/service/metrics.h"
#include "base/clock.h"
#include "base/sha256.h"
#include "engine/audience/audience.h"
#include "engine/core/campaign.h"
#include "engine/core/epoch.h"
#include "engine/core/market_rules.h"
#include "engine/money/spend_policy.h"
#include "engine/pipeline/bid_pipeline.h"
#include "engine/targeting/campaign_set.h"

namespace vetrina::service {

struct BidderOptions {
  openrtb::ResponseOptions response;
  size_t max_body_bytes = 256 * 1024;
  // Deadlines, our TCF vendor id, token lifetimes, the random seed; its seat and keys are set
  // by the Bidder (from `response.seat` and the money wiring).
  engine::BidPipelineConfig pipeline;
  // The fraction of requests that get an "access" log line (AccessLog), in [0, 1].
  double access_log_sample = 0;
};

// What bids and notices read and write besides the published snapshots. Owned by the caller;
// everything outlives the Bidder.
struct BidderServices {
  // Membership lookups and the writer pixel events go to; null where a process keeps no
  // audiences (then no user is known and /px drops every event, counted).
  const engine::AudienceStore* audience_store = nullptr;
  audiences::MembershipWriter* membership_writer = nullptr;
  // The shared state bids reserve against. Required.
  engine::MoneyState* money = nullptr;
  // The journal notices go through; null answers /ev/* with 404.
  money::SpendWriter* spend_writer = nullptr;
  // Sign notice tokens and hash users for frequency caps.
  std::string notice_secret;
  std::string user_secret;
  // In a fleet: OK while the node reaches the shared store, else why not (then /readyz reports
  // the node degraded: it bids from its last snapshots, and writes answer 503). Null for a
  // single node.
  std::function<absl::Status()> fleet_health = nullptr;
  // Times of the local journals' syncs (MakeFsyncHistogram), rendered on /metrics; null when
  // none are timed.
  const Histogram* fsync_latency = nullptr;
};

// The bidder's shared state, complete from construction: snapshots are republished through the
// Publish* calls, and everything else is fixed. Thread-safe.
class Bidder {
 public:
  // `epoch` protects every snapshot the bid path reads (the audience store's too).
  Bidder(const vetrina::Clock& clock, engine::EpochDomain& epoch, BidderOptions options,
         BidderServices services);

  // Replaces the campaigns the bid path sees and returns once the previous set is freed.
  void Publish(std::unique_ptr<const engine::CampaignSet> campaigns);
  // Builds a set of exactly `campaigns` (index included) on the calling thread and publishes it.
  void PublishCampaigns(std::vector<engine::Campaign> campaigns);
  // Audience definitions: segment names and pixel rules, republished on every audience change.
  void PublishAudienceRegistry(std::shared_ptr<const engine::AudienceRegistry> registry);
  // Exchange rates, placement floors and app blocklists; republished on change.
  void PublishMarket(std::shared_ptr<const engine::MarketRules> rules);

  // What /metrics and the status page report the age of: the snapshots published here, and a
  // fleet node's last successful follow of each shared log (marked by its follower's steps).
  using Freshness = Snapshot;
  static std::string_view FreshnessName(Freshness what) { return SnapshotName(what); }
  void MarkFresh(Freshness what) { metrics_.MarkPublished(what, clock_.Now()); }
  // InfinitePast when never marked.
  absl::Time fresh_at(Freshness what) const { return metrics_.published_at(what); }

  void SetReady() { ready_.store(true); }
  bool ready() const { return ready_.load(); }

  // Listener counters to render on /metrics.
  void AddListener(std::string name, const http::ServerStats* stats);
  std::vector<std::pair<std::string, const http::ServerStats*>> listeners() const;

  const vetrina::Clock& clock() const { return clock_; }
  const BidderOptions& options() const { return options_; }
  // The pipeline configuration every worker's BidPipeline is built with.
  const engine::BidPipelineConfig& pipeline_config() const { return options_.pipeline; }
  Metrics& metrics() { return metrics_; }
  engine::EpochDomain& epoch() { return epoch_; }

  const engine::AudienceStore* audience_store() const { return services_.audience_store; }
  audiences::MembershipWriter* membership_writer() const { return services_.membership_writer; }
  engine::MoneyState& money() const { return *services_.money; }
  money::SpendWriter* spend_writer() const { return services_.spend_writer; }
  // OK for a single node; see BidderServices::fleet_health.
  absl::Status fleet_health() const {
    return services_.fleet_health ? services_.fleet_health() : absl::OkStatus();
  }
  bool in_fleet() const { return services_.fleet_health != nullptr; }
  const Histogram* fsync_latency() const { return services_.fsync_latency; }
  // A fleet's budget leases (set once, before serving): stats show the Redis accounts, /metrics
  // its calls.
  void SetLeaseKeeper(const money::LeaseKeeper* keeper) { lease_keeper_.store(keeper); }
  const money::LeaseKeeper* lease_keeper() const { return lease_keeper_.load(); }
  const HmacSha256Key& notice_key() const { return notice_key_; }

  const engine::SnapshotCell<engine::CampaignSet>& campaigns() const { return campaigns_; }
  struct MarketRef {
    std::shared_ptr<const engine::MarketRules> rules;
  };
  const engine::SnapshotCell<MarketRef>& market() const { return market_; }
  struct RegistryRef {
    std::shared_ptr<const engine::AudienceRegistry> registry;
  };
  const engine::SnapshotCell<RegistryRef>& audience_registry() const { return registry_; }

  // The world a bid reads, under `guard`.
  engine::BidWorld World(const engine::EpochDomain::ReadGuard& guard) const;

 private:
  const vetrina::Clock& clock_;
  engine::EpochDomain& epoch_;
  const BidderServices services_;
  const HmacSha256Key notice_key_;
  const HmacSha256Key user_key_;
  const BidderOptions options_;  // after the keys: its pipeline config points at them
  Metrics metrics_;
  engine::SnapshotCell<engine::CampaignSet> campaigns_;
  engine::SnapshotCell<RegistryRef> registry_;
  engine::SnapshotCell<MarketRef> market_;
  std::atomic<bool> ready_{false};
  std::atomic<const money::LeaseKeeper*> lease_keeper_{nullptr};
  mutable absl::Mutex listeners_mu_;
  std::vector<std::pair<std::string, const http::ServerStats*>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace vetrina::service
