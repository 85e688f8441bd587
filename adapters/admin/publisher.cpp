#include "adapters/admin/publisher.h"

namespace vetrina::admin {

CampaignPublisher::CampaignPublisher(const Catalog& catalog, PublishFn publish)
    : catalog_(catalog), publish_(std::move(publish)) {}

CampaignPublisher::~CampaignPublisher() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void CampaignPublisher::PublishNow() {
  // Read the version first: a change racing with the copy is published again next round.
  const uint64_t version = catalog_.version();
  publish_(catalog_.AllCampaigns());
  published_ = version;
}

void CampaignPublisher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CampaignPublisher::Run() {
  while (!stop_) {
    const uint64_t version = catalog_.WaitForChange(published_, absl::Milliseconds(200));
    if (version != published_) PublishNow();
  }
}

}  // namespace vetrina::admin
