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
#include "adapters/money/spend_writer.h"
#include "adapters/openrtb/response_writer.h"
#include "adapters/service/metrics.h"
#include "engine/audience/audience.h"
#include "engine/core/campaign.h"
#include "engine/targeting/campaign_set.h"
#include "base/clock.h"
#include "engine/core/epoch.h"
#include "engine/core/market_rules.h"
#include "base/sha256.h"
#include "engine/money/spend_policy.h"

namespace vetrina::service {

struct BidderOptions {
  openrtb::ResponseOptions response;
  size_t max_body_bytes = 256 * 1024;
  // Seeds each worker's random generator (pacing draws); tests fix it.
  uint64_t random_seed = 0x5eed;
  // Our IAB TCF vendor id; 0 = none, so no GDPR consent string can name us.
  int tcf_vendor_id = 0;
  // How long the trackers in an ad (impression, click) count; the exchange's notices live as
  // long as the bid's reservation.
  absl::Duration ad_token_ttl = absl::Hours(1);
  // A request's deadline is its tmax (or this when it has none) after it was read, less
  // `deadline_margin` for the answer's trip back: past it, a bid would arrive too late, so the
  // answer is an immediate 204.
  absl::Duration default_tmax = absl::Milliseconds(100);
  absl::Duration deadline_margin = absl::Milliseconds(10);
};

// Money: the shared state bids reserve against, the writer notices go through, and the keys
// that sign notice tokens and hash users for frequency caps.
struct MoneyWiring {
  engine::MoneyState* state = nullptr;
  money::SpendWriter* writer = nullptr;
  std::string notice_secret;
  std::string user_secret;
};

// Thread-safe.
class Bidder {
 public:
  Bidder(const vetrina::Clock& clock, BidderOptions options);

  // Replaces the campaigns the bid path sees and returns once the previous set is freed.
  void Publish(std::unique_ptr<const engine::CampaignSet> campaigns);
  // Builds a set of exactly `campaigns` (index included) on the calling thread and publishes it.
  void PublishCampaigns(std::vector<engine::Campaign> campaigns);

  void SetReady() { ready_.store(true); }
  bool ready() const { return ready_.load(); }

  // Listener counters to render on /metrics.
  void AddListener(std::string name, const http::ServerStats* stats);
  std::vector<std::pair<std::string, const http::ServerStats*>> listeners() const;

  const vetrina::Clock& clock() const { return clock_; }
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

  // Money. Set before serving; without it bids reserve nothing and /ev/* answers 404.
  void SetMoney(MoneyWiring money);
  engine::MoneyState* money() const { return money_.state; }
  money::SpendWriter* spend_writer() const { return money_.writer; }
  const vetrina::HmacSha256Key& notice_key() const { return notice_key_; }
  const vetrina::HmacSha256Key& user_key() const { return user_key_; }

  // Exchange rates, placement floors and app blocklists; republished on change.
  void PublishMarket(std::shared_ptr<const engine::MarketRules> rules);
  struct MarketRef {
    std::shared_ptr<const engine::MarketRules> rules;
  };
  const engine::SnapshotCell<MarketRef>& market() const { return market_; }
  struct RegistryRef {
    std::shared_ptr<const engine::AudienceRegistry> registry;
  };
  const engine::SnapshotCell<RegistryRef>& audience_registry() const { return registry_; }

 private:
  const vetrina::Clock& clock_;
  const BidderOptions options_;
  Metrics metrics_;
  engine::EpochDomain epoch_;
  engine::SnapshotCell<engine::CampaignSet> campaigns_;
  engine::SnapshotCell<RegistryRef> registry_;
  engine::SnapshotCell<MarketRef> market_;
  MoneyWiring money_;
  vetrina::HmacSha256Key notice_key_{""};
  vetrina::HmacSha256Key user_key_{""};
  const engine::AudienceStore* audience_store_ = nullptr;
  audiences::MembershipWriter* membership_writer_ = nullptr;
  std::atomic<bool> ready_{false};
  mutable absl::Mutex listeners_mu_;
  std::vector<std::pair<std::string, const http::ServerStats*>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace vetrina::service
