#include "adapters/admin/publisher.h"

#include <algorithm>

namespace vetrina::admin {

CampaignPublisher::CampaignPublisher(const Catalog& catalog, PublishFn publish,
                                     const vetrina::Clock& clock, PublisherOptions options)
    : catalog_(catalog), publish_(std::move(publish)), clock_(clock), options_(options) {}

CampaignPublisher::~CampaignPublisher() {
  stop_ = true;
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (thread_.joinable()) thread_.join();
}

void CampaignPublisher::PublishNow() {
  // Fold the changes since the last publish into the delta: O(changes), not O(catalog).
  std::vector<std::string> ids;
  uint64_t version = 0;
  const bool have_log = base_ != nullptr && catalog_.ChangesSince(published_, &ids, &version);
  if (have_log) {
    const std::vector<engine::CampaignPtr> current = catalog_.Lookup(ids);
    for (size_t i = 0; i < ids.size(); ++i) delta_[ids[i]] = current[i];
  }
  const bool rebase =
      !have_log || clock_.Now() - base_built_ > options_.rebase_after ||
      (delta_.size() > options_.min_rebase_delta && delta_.size() * 50 > base_->size());
  if (rebase) {
    std::vector<engine::CampaignPtr> all = catalog_.AllCampaigns(&version);
    base_ = std::make_shared<const engine::CampaignSnapshot>(std::move(all));
    base_built_ = clock_.Now();
    delta_.clear();
    publish_(std::make_unique<const engine::CampaignSet>(base_, std::vector<engine::CampaignPtr>{},
                                                         std::vector<std::string>{}));
    ++rebases_;
  } else {
    std::vector<engine::CampaignPtr> changed;
    std::vector<std::string> hidden;  // base entries the delta replaces or deletes
    for (const auto& [id, campaign] : delta_) {
      hidden.push_back(id);
      if (campaign != nullptr) changed.push_back(campaign);
    }
    publish_(std::make_unique<const engine::CampaignSet>(base_, std::move(changed), hidden));
  }
  published_ = version;
}

void CampaignPublisher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CampaignPublisher::Run() {
  while (!stop_) {
    const uint64_t version = catalog_.WaitForChange(published_, absl::Milliseconds(200));
    if (stop_) return;
    if (version != published_) {
      const absl::Time started = clock_.Now();
      PublishNow();
      // Coalesce: whatever arrives meanwhile goes into one later publish.
      const absl::Duration rest = options_.min_interval - (clock_.Now() - started);
      if (rest > absl::ZeroDuration()) stopping_.WaitForNotificationWithTimeout(rest);
    } else if (!delta_.empty() && clock_.Now() - base_built_ > options_.rebase_after) {
      PublishNow();  // fold an old delta into a new base while idle
    }
  }
}

}  // namespace vetrina::admin
