// Publishes the catalog to the bid path: whenever the catalog changes, a background thread builds
// a new CampaignSnapshot (index included) off the hot path and swaps it in. Changes arriving
// while a build runs are coalesced into the next one, so a burst of uploads costs one rebuild.
//
//   CampaignPublisher publisher(catalog, [&](auto campaigns) { bidder.PublishCampaigns(...); });
//   publisher.PublishNow();  // the first snapshot, synchronously, before serving
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "adapters/admin/catalog.h"

namespace vetrina::admin {

// Thread-safe.
class CampaignPublisher {
 public:
  using PublishFn = std::function<void(std::vector<engine::CampaignPtr>)>;

  CampaignPublisher(const Catalog& catalog, PublishFn publish);
  ~CampaignPublisher();  // stops the thread

  // Publishes the catalog's current state on the calling thread.
  void PublishNow();
  // Starts the background thread.
  void Start();
  // The catalog version most recently published.
  uint64_t published_version() const { return published_.load(); }

 private:
  void Run();

  const Catalog& catalog_;
  PublishFn publish_;
  std::atomic<uint64_t> published_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace vetrina::admin
