#include "adapters/service/bid_handler.h"

#include "adapters/openrtb/json_writer.h"
#include "adapters/openrtb/response_writer.h"
#include "engine/auction.h"
#include "engine/strings.h"

namespace vetrina::service {
namespace {

std::string Hex(uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n & 0xf]);
    n >>= 4;
  } while (n != 0);
  return out;
}

}  // namespace

void SetError(int status, std::string_view message, http::HttpResponse* response) {
  response->status = status;
  response->content_type = "application/json";
  response->body = "{\"error\":\"";
  openrtb::AppendJsonEscaped(message, &response->body);
  response->body.append("\"}");
}

BidHandler::BidHandler(Bidder& bidder, int worker)
    : bidder_(bidder),
      worker_(worker),
      reader_(bidder.epoch()),
      parser_(bidder.options().max_body_bytes),
      id_prefix_(StrCat(Hex(static_cast<uint64_t>(absl::ToUnixMicros(bidder.clock().Now()))), "-",
                        worker, "-")) {}

std::string BidHandler::NextResponseId() { return StrCat(id_prefix_, Hex(++sequence_)); }

void BidHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.path == "/openrtb2/bid") {
    HandleBid(request, response);
    bidder_.metrics().CountRequest(Endpoint::kBid, response->status);
    return;
  }
  SetError(404, "not found", response);
  bidder_.metrics().CountRequest(Endpoint::kOther, response->status);
}

void BidHandler::HandleBid(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.method != http::Method::kPost) {
    SetError(405, "use POST", response);
    response->headers.emplace_back("Allow", "POST");
    return;
  }
  response->headers.emplace_back("x-openrtb-version", request.openrtb_version.empty()
                                                          ? "2.6"
                                                          : std::string(request.openrtb_version));

  if (absl::Status s = parser_.Parse(request.body, &bid_request_); !s.ok()) {
    SetError(s.code() == absl::StatusCode::kResourceExhausted ? 413 : 400, View(s.message()),
             response);
    return;
  }
  bid_request_.received_at = request.received_at;

  engine::EpochDomain::ReadGuard guard(reader_);
  const engine::CampaignSet& campaigns = bidder_.campaigns().Get(guard);
  const engine::AuctionResult result = engine::RunAuction(
      bid_request_, campaigns,
      engine::AuctionContext{.now = bidder_.clock().Now(), .scratch = &scratch_});
  if (result.bids.empty()) {
    response->status = 204;
    bidder_.metrics().CountNoBid(result.RequestReason());
  } else {
    response->status = 200;
    openrtb::WriteBidResponse(bid_request_, result, NextResponseId(), bidder_.options().response,
                              &response->body);
    bidder_.metrics().CountBid(static_cast<int>(result.bids.size()));
  }
  bidder_.metrics().ObserveBidLatency(bidder_.clock().Now() - request.received_at);
}

}  // namespace vetrina::service
