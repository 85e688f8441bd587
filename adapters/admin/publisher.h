// Publishes the catalog to the bid path from a background thread. A change is laid as a small
// delta on top of the last full snapshot (the base), so its cost follows the size of the change,
// not of the catalog; the base itself is rebuilt when the delta grows or ages. Changes that
// arrive while a publish runs are coalesced into the next one, at most every `min_interval`.
//
//   CampaignPublisher publisher(catalog, [&](auto set) { bidder.Publish(std::move(set)); }, clock);
//   publisher.PublishNow();  // the first snapshot, synchronously, before serving
//   publisher.Start();
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/admin/catalog.h"
#include "base/clock.h"
#include "engine/targeting/campaign_set.h"

namespace vetrina::admin {

struct PublisherOptions {
  absl::Duration min_interval = absl::Milliseconds(250);  // between publishes
  absl::Duration rebase_after = absl::Seconds(60);        // a delta older than this: rebuild
  size_t min_rebase_delta = 1000;  // a delta larger than this and 2% of the base: rebuild
};

// Thread-safe.
class CampaignPublisher {
 public:
  using PublishFn = std::function<void(std::unique_ptr<const engine::CampaignSet>)>;

  // `clock` dates the base, which is rebuilt once older than `options.rebase_after`.
  CampaignPublisher(const Catalog& catalog, PublishFn publish, const vetrina::Clock& clock,
                    PublisherOptions options = {});
  ~CampaignPublisher();  // stops the thread

  // Publishes the catalog's current state on the calling thread.
  void PublishNow();
  // Starts the background thread.
  void Start();
  // The catalog version most recently published.
  uint64_t published_version() const { return published_.load(); }
  // How many full rebuilds of the base have been published.
  uint64_t rebases() const { return rebases_.load(); }

 private:
  void Run();

  const Catalog& catalog_;
  PublishFn publish_;
  const vetrina::Clock& clock_;
  const PublisherOptions options_;
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> rebases_{0};
  std::atomic<bool> stop_{false};
  absl::Notification stopping_;
  std::thread thread_;
  // Owned by whichever thread publishes (the caller of PublishNow before Start, then the
  // background thread).
  std::shared_ptr<const engine::CampaignSnapshot> base_;
  absl::Time base_built_ = absl::InfinitePast();
  // Campaigns changed since the base, by id; nullptr for deleted ones.
  absl::flat_hash_map<std::string, engine::CampaignPtr> delta_;
};

}  // namespace vetrina::admin
