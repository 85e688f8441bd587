#include "adapters/service/bidder.h"

namespace vetrina::service {

Bidder::Bidder(const vetrina::Clock& clock, BidderOptions options)
    : clock_(clock),
      options_(std::move(options)),
      campaigns_(epoch_, std::make_unique<engine::CampaignSet>()),
      registry_(epoch_, std::make_unique<RegistryRef>(
                            RegistryRef{std::make_shared<engine::AudienceRegistry>()})),
      market_(epoch_,
              std::make_unique<MarketRef>(MarketRef{std::make_shared<engine::MarketRules>()})) {}

void Bidder::SetMoney(MoneyWiring money) {
  notice_key_ = vetrina::HmacSha256Key(money.notice_secret);
  user_key_ = vetrina::HmacSha256Key(money.user_secret);
  money_ = std::move(money);
}

void Bidder::PublishMarket(std::shared_ptr<const engine::MarketRules> rules) {
  market_.Publish(std::make_unique<MarketRef>(MarketRef{std::move(rules)}));
}

void Bidder::PublishAudienceRegistry(std::shared_ptr<const engine::AudienceRegistry> registry) {
  registry_.Publish(std::make_unique<RegistryRef>(RegistryRef{std::move(registry)}));
}

void Bidder::Publish(std::unique_ptr<const engine::CampaignSet> campaigns) {
  campaigns_.Publish(std::move(campaigns));
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
