#include "engine/campaign_snapshot.h"

#include <algorithm>

namespace vetrina::engine {
namespace {

std::vector<CampaignPtr> Share(std::vector<Campaign> campaigns) {
  std::vector<CampaignPtr> shared;
  shared.reserve(campaigns.size());
  for (Campaign& c : campaigns) shared.push_back(std::make_shared<const Campaign>(std::move(c)));
  return shared;
}

}  // namespace

CampaignSnapshot::CampaignSnapshot(std::vector<Campaign> campaigns)
    : CampaignSnapshot(Share(std::move(campaigns))) {}

CampaignSnapshot::CampaignSnapshot(std::vector<CampaignPtr> campaigns)
    : campaigns_(std::move(campaigns)) {
  std::sort(campaigns_.begin(), campaigns_.end(),
            [](const CampaignPtr& a, const CampaignPtr& b) { return a->id < b->id; });
  std::vector<const Targeting*> targetings;
  targetings.reserve(campaigns_.size());
  for (const CampaignPtr& c : campaigns_) {
    targetings.push_back(c->status == CampaignStatus::kActive ? &c->targeting : nullptr);
  }
  index_ = TargetingIndex(targetings);
}

const Campaign* CampaignSnapshot::Find(std::string_view id) const {
  auto it = std::lower_bound(campaigns_.begin(), campaigns_.end(), id,
                             [](const CampaignPtr& c, std::string_view v) { return c->id < v; });
  return it != campaigns_.end() && (*it)->id == id ? it->get() : nullptr;
}

}  // namespace vetrina::engine
