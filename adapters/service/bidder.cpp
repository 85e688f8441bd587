#include "adapters/service/bidder.h"

#include <cstdio>
#include <cstdlib>

namespace vetrina::service {
namespace {

BidderOptions WithKeys(BidderOptions options, const HmacSha256Key& notice_key,
                       const HmacSha256Key& user_key) {
  options.pipeline.seat = options.response.seat;
  options.pipeline.notice_key = &notice_key;
  options.pipeline.user_key = &user_key;
  return options;
}

}  // namespace

Bidder::Bidder(const vetrina::Clock& clock, engine::EpochDomain& epoch, BidderOptions options,
               BidderServices services)
    : clock_(clock),
      epoch_(epoch),
      services_(std::move(services)),
      notice_key_(services_.notice_secret),
      user_key_(services_.user_secret),
      options_(WithKeys(std::move(options), notice_key_, user_key_)),
      campaigns_(epoch_, std::make_unique<engine::CampaignSet>()),
      registry_(epoch_, std::make_unique<RegistryRef>(
                            RegistryRef{std::make_shared<engine::AudienceRegistry>()})),
      market_(epoch_,
              std::make_unique<MarketRef>(MarketRef{std::make_shared<engine::MarketRules>()})) {
  if (services_.money == nullptr) {
    // A wiring error, not input: fail at start-up rather than on the first bid.
    std::fputs("Bidder: BidderServices.money is required\n", stderr);
    std::abort();
  }
  // The empty snapshots above are published now.
  for (Snapshot s : {Snapshot::kCampaigns, Snapshot::kAudiences, Snapshot::kMarket}) {
    metrics_.MarkPublished(s, clock_.Now());
  }
}

engine::BidWorld Bidder::World(const engine::EpochDomain::ReadGuard& guard) const {
  return engine::BidWorld{.guard = guard,
                          .campaigns = campaigns_.Get(guard),
                          .market = *market_.Get(guard).rules,
                          .audience_store = services_.audience_store,
                          .audience_registry = registry_.Get(guard).registry.get(),
                          .money = *services_.money};
}

void Bidder::PublishMarket(std::shared_ptr<const engine::MarketRules> rules) {
  market_.Publish(std::make_unique<MarketRef>(MarketRef{std::move(rules)}));
  MarkFresh(Freshness::kMarket);
}

void Bidder::PublishAudienceRegistry(std::shared_ptr<const engine::AudienceRegistry> registry) {
  registry_.Publish(std::make_unique<RegistryRef>(RegistryRef{std::move(registry)}));
  MarkFresh(Freshness::kAudiences);
}

void Bidder::Publish(std::unique_ptr<const engine::CampaignSet> campaigns) {
  campaigns_.Publish(std::move(campaigns));
  MarkFresh(Freshness::kCampaigns);
}

void Bidder::PublishCampaigns(std::vector<engine::Campaign> campaigns) {
  Publish(std::make_unique<engine::CampaignSet>(std::move(campaigns)));
}

void Bidder::AddListener(std::string name, const http::ServerStats* stats) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.emplace_back(std::move(name), stats);
}

std::vector<std::pair<std::string, const http::ServerStats*>> Bidder::listeners() const {
  absl::MutexLock lock(&listeners_mu_);
  return listeners_;
}

}  // namespace vetrina::service
