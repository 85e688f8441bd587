// The public listener's handler: POST /openrtb2/bid (parse -> engine::BidPipeline -> write),
// GET /px (tracking pixel) and /ev/{win,bill,loss,imp,click} (notices, answered once their spend
// is durable).
//
//   http::HandlerFactory factory = [&](int worker) {
//     return std::make_unique<BidHandler>(bidder, worker);
//   };
#pragma once

#include "adapters/http/http_types.h"
#include "adapters/openrtb/request_parser.h"
#include "adapters/service/access_log.h"
#include "adapters/service/bidder.h"
#include "engine/core/bid_request.h"
#include "engine/core/epoch.h"
#include "engine/pipeline/bid_pipeline.h"

namespace vetrina::service {

// Not thread-safe: one per worker thread (it owns that worker's parser, pipeline and epoch slot).
class BidHandler final : public http::Handler {
 public:
  BidHandler(Bidder& bidder, int worker);
  void Handle(const http::HttpRequest& request, http::HttpResponse* response) override;
  // An overloaded worker's stale bid request: no bid at once (reason `deadline`); anything
  // else 503 with Retry-After.
  void Shed(const http::HttpRequest& request, http::HttpResponse* response) override;

 private:
  // Serves the request and counts it; returns its endpoint.
  Endpoint Route(const http::HttpRequest& request, http::HttpResponse* response);
  void HandleBid(const http::HttpRequest& request, http::HttpResponse* response);
  void HandlePixel(const http::HttpRequest& request, http::HttpResponse* response);
  void HandleNotice(const http::HttpRequest& request, http::HttpResponse* response);
  // Writes the pipeline's outcome as the OpenRTB answer and counts it.
  void WriteOutcome(const engine::BidOutcome& outcome, http::HttpResponse* response);

  Bidder& bidder_;
  engine::EpochDomain::Reader reader_;
  openrtb::BidRequestParser parser_;
  engine::BidRequest bid_request_;  // reused across requests
  engine::BidPipeline pipeline_;
  AccessLog access_log_;
};

}  // namespace vetrina::service
