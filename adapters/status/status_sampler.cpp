#include "adapters/status/status_sampler.h"

#include <string>

#include "engine/money/budget.h"

namespace vetrina::status {

StatusSampler::StatusSampler(service::Bidder& bidder, const admin::Catalog& catalog,
                             const vetrina::Clock& clock)
    : bidder_(bidder), catalog_(catalog), clock_(clock) {}

StatusSampler::~StatusSampler() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void StatusSampler::Start() {
  thread_ = std::thread([this] {
    do {
      SampleNow();
    } while (!stop_.WaitForNotificationWithTimeout(ThroughputRing::kInterval));
  });
}

void StatusSampler::SampleNow() {
  const absl::Time now = clock_.Now();
  const Funnel funnel = FunnelOf(bidder_.metrics().Read());
  // Spend outside the lock: the catalog and the ledger have their own.
  std::vector<std::string> ids;
  std::vector<engine::Micros> spend;
  for (const admin::CampaignEntry& entry : catalog_.ListCampaigns(
           admin::Principal{.admin = true, .advertiser = {}}, "", catalog_.campaign_count())) {
    const engine::CampaignAccount* account = bidder_.money().ledger.FindAccount(entry.campaign->id);
    ids.push_back(entry.campaign->id);
    spend.push_back(account == nullptr ? 0 : account->State(now).daily_settled);
  }
  absl::MutexLock lock(&mu_);
  ring_.Add({.at = now, .requests = funnel.requests, .requests_with_bid = funnel.bid});
  for (size_t i = 0; i < ids.size(); ++i) spend_.Record(ids[i], now, spend[i]);
  spend_.Retain(ids);
}

std::vector<RatePoint> StatusSampler::Rates(const CounterSample& live) const {
  ThroughputRing ring;
  {
    absl::MutexLock lock(&mu_);
    ring = ring_;
  }
  // A live point a moment after a sample would be mostly noise.
  if (ring.newest() == nullptr || live.at - ring.newest()->at >= absl::Seconds(1)) ring.Add(live);
  return ring.Rates();
}

std::vector<SpendPoint> StatusSampler::Spend(std::string_view campaign_id, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  return spend_.Points(campaign_id, now);
}

}  // namespace vetrina::status
