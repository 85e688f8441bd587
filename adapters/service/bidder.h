// The bidder's shared state: the published campaign snapshot, metrics, clock and readiness. One
// per process, shared by every worker's handlers.
//
//   Bidder bidder(clock, options);
//   bidder.PublishCampaigns(std::move(campaigns));   // any thread; readers never wait
//   bidder.SetReady();
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/audiences/membership_writer.h"
#include "adapters/http/server.h"
#include "adapters/openrtb/response_writer.h"
#include "adapters/service/metrics.h"
#include "engine/audience.h"
#include "engine/campaign.h"
#include "engine/campaign_set.h"
#include "engine/clock.h"
#include "engine/epoch.h"

namespace vetrina::service {

struct BidderOptions {
  openrtb::ResponseOptions response;
  size_t max_body_bytes = 256 * 1024;
};

// Thread-safe.
class Bidder {
 public:
  Bidder(const engine::Clock& clock, BidderOptions options);

  // Replaces the campaigns the bid path sees and returns once the previous set is freed.
  void Publish(std::unique_ptr<const engine::CampaignSet> campaigns);
  // Builds a set of exactly `campaigns` (index included) on the calling thread and publishes it.
  void PublishCampaigns(std::vector<engine::Campaign> campaigns);

  void SetReady() { ready_.store(true); }
  bool ready() const { return ready_.load(); }

  // Listener counters to render on /metrics.
  void AddListener(std::string name, const http::ServerStats* stats);
  std::vector<std::pair<std::string, const http::ServerStats*>> listeners() const;

  const engine::Clock& clock() const { return clock_; }
  const BidderOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  engine::EpochDomain& epoch() { return epoch_; }
  const engine::SnapshotCell<engine::CampaignSet>& campaigns() const { return campaigns_; }

  // Audiences: the store lookups read, the writer pixel events go to, and the registry of
  // segment names and pixel rules. Set before serving; the registry is republished on change.
  void SetAudiences(const engine::AudienceStore* store, audiences::MembershipWriter* writer) {
    audience_store_ = store;
    membership_writer_ = writer;
  }
  const engine::AudienceStore* audience_store() const { return audience_store_; }
  audiences::MembershipWriter* membership_writer() const { return membership_writer_; }
  void PublishAudienceRegistry(std::shared_ptr<const engine::AudienceRegistry> registry);
  struct RegistryRef {
    std::shared_ptr<const engine::AudienceRegistry> registry;
  };
  const engine::SnapshotCell<RegistryRef>& audience_registry() const { return registry_; }

 private:
  const engine::Clock& clock_;
  const BidderOptions options_;
  Metrics metrics_;
  engine::EpochDomain epoch_;
  engine::SnapshotCell<engine::CampaignSet> campaigns_;
  engine::SnapshotCell<RegistryRef> registry_;
  const engine::AudienceStore* audience_store_ = nullptr;
  audiences::MembershipWriter* membership_writer_ = nullptr;
  std::atomic<bool> ready_{false};
  mutable absl::Mutex listeners_mu_;
  std::vector<std::pair<std::string, const http::ServerStats*>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace vetrina::service
