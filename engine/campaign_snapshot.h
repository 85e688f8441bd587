// An immutable set of campaigns, as published to the bid path. Built off the hot path; never
// changed after construction, so any number of threads may read it.
#pragma once

#include <string_view>
#include <vector>

#include "engine/campaign.h"

namespace vetrina::engine {

// Thread-safe (immutable).
class CampaignSnapshot {
 public:
  CampaignSnapshot() = default;
  // Takes the campaigns and orders them by id, which makes the auction's tie-break deterministic.
  explicit CampaignSnapshot(std::vector<Campaign> campaigns);

  const std::vector<Campaign>& campaigns() const { return campaigns_; }
  size_t size() const { return campaigns_.size(); }
  // nullptr when absent.
  const Campaign* Find(std::string_view id) const;

 private:
  std::vector<Campaign> campaigns_;
};

}  // namespace vetrina::engine
