// The public listener's handler: POST /openrtb2/bid (parse -> RunAuction -> reserve and sign ->
// write), GET /px (tracking pixel) and /ev/{win,bill,loss,imp,click} (notices, answered once
// their spend is durable).
//
//   http::HandlerFactory factory = [&](int worker) {
//     return std::make_unique<BidHandler>(bidder, worker);
//   };
#pragma once

#include <cstdint>
#include <string>

#include "adapters/http/http_types.h"
#include "adapters/openrtb/request_parser.h"
#include "adapters/openrtb/response_writer.h"
#include "adapters/service/bidder.h"
#include "engine/core/bid_request.h"
#include "engine/core/epoch.h"
#include "engine/privacy/privacy.h"
#include "base/random.h"
#include "engine/money/spend_policy.h"

namespace vetrina::service {

// Not thread-safe: one per worker thread (it owns that worker's parser and epoch slot).
class BidHandler final : public http::Handler {
 public:
  BidHandler(Bidder& bidder, int worker);
  void Handle(const http::HttpRequest& request, http::HttpResponse* response) override;

 private:
  void HandleBid(const http::HttpRequest& request, http::HttpResponse* response);
  void HandlePixel(const http::HttpRequest& request, http::HttpResponse* response);
  void HandleNotice(const http::HttpRequest& request, http::HttpResponse* response);
  // Whether the request's deadline (tmax after it was read, less the margin) has passed.
  bool PastDeadline(absl::Time received_at) const;
  // Reserves each bid's cost and signs its notice token; drops bids the budget cannot hold.
  // `personal_data`: whether the tokens may carry the capping user hash.
  void ReserveAndSign(engine::AuctionResult* result, engine::SpendPolicy& policy, absl::Time now,
                      bool personal_data);
  // The audience keys of the request's user ids the privacy decision lets audience targeting
  // use into user_keys_, and the one frequency caps count under (ifa, else ifv, else user id,
  // as allowed) into capping_key_.
  void CollectUserKeys(const engine::PrivacyDecision& privacy);
  // The user's audience segment names, sorted, into segment_names_; false without a store.
  bool LookUpSegments(const engine::EpochDomain::ReadGuard& guard);
  std::string NextResponseId();

  Bidder& bidder_;
  const int worker_;
  engine::EpochDomain::Reader reader_;
  openrtb::BidRequestParser parser_;
  engine::BidRequest bid_request_;  // reused across requests
  engine::CampaignSet::Scratch scratch_;
  std::vector<engine::AudienceKey> user_keys_;
  std::optional<engine::AudienceKey> capping_key_;
  std::vector<std::vector<engine::SegmentId>> user_segments_;
  std::vector<std::string> segment_names_;
  std::vector<openrtb::SignedBid> signed_bids_;
  vetrina::Rng rng_;
  uint64_t sequence_ = 0;
  const std::string id_prefix_;  // distinct per process start and worker
};

}  // namespace vetrina::service
