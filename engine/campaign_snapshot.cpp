#include "engine/campaign_snapshot.h"

#include <algorithm>

namespace vetrina::engine {

CampaignSnapshot::CampaignSnapshot(std::vector<Campaign> campaigns)
    : campaigns_(std::move(campaigns)) {
  std::sort(campaigns_.begin(), campaigns_.end(),
            [](const Campaign& a, const Campaign& b) { return a.id < b.id; });
}

const Campaign* CampaignSnapshot::Find(std::string_view id) const {
  auto it = std::lower_bound(campaigns_.begin(), campaigns_.end(), id,
                             [](const Campaign& c, std::string_view v) { return c.id < v; });
  return it != campaigns_.end() && it->id == id ? &*it : nullptr;
}

}  // namespace vetrina::engine
