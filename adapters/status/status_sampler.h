// Samples the bidder's counters for the status page every ThroughputRing::kInterval on its own
// thread: the bid counters into the throughput ring, each campaign's spend today into its
// spend curve. The bid path gains nothing: this only reads counters it already keeps.
//
//   StatusSampler sampler(bidder, catalog, clock);
//   sampler.Start();                 // or SampleNow() from a test, with a fake clock
//   std::vector<RatePoint> rates = sampler.Rates();
#pragma once

#include <string_view>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "adapters/admin/catalog.h"
#include "adapters/service/bidder.h"
#include "adapters/status/status_model.h"
#include "base/clock.h"

namespace vetrina::status {

// Thread-safe.
class StatusSampler {
 public:
  StatusSampler(service::Bidder& bidder, const admin::Catalog& catalog,
                const vetrina::Clock& clock);
  ~StatusSampler();  // stops and joins the thread
  StatusSampler(const StatusSampler&) = delete;
  StatusSampler& operator=(const StatusSampler&) = delete;

  // Samples now, then every ThroughputRing::kInterval until destroyed.
  void Start();
  void SampleNow();

  // The ring's rates, and a last one from its newest sample to `live` (the counters now), so
  // the page moves between samples.
  std::vector<RatePoint> Rates(const CounterSample& live) const;
  std::vector<SpendPoint> Spend(std::string_view campaign_id, absl::Time now) const;

 private:
  service::Bidder& bidder_;
  const admin::Catalog& catalog_;
  const vetrina::Clock& clock_;
  mutable absl::Mutex mu_;
  ThroughputRing ring_ ABSL_GUARDED_BY(mu_);
  SpendHistory spend_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace vetrina::status
