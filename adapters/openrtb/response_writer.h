// Writes an engine::AuctionResult as an OpenRTB 2.6 bid response, with win, billing and loss
// notice URLs carrying the ${AUCTION_PRICE} / ${AUCTION_LOSS} macros, and native ads as Native 1.2
// response markup.
//
//   std::string body;
//   WriteBidResponse(request, result, "b-1a2b", options, &body);
#pragma once

#include <string>
#include <string_view>

#include "engine/auction.h"
#include "engine/bid_request.h"

namespace vetrina::openrtb {

struct ResponseOptions {
  std::string notice_base_url = "http://127.0.0.1:8080";  // where /ev/... is served
  std::string seat = "vetrina";
};

// Writes the 200 response body for `result`, which must hold at least one bid. `response_id` is
// the response's `bidid`; each bid's id is `response_id` + "-" + its imp index.
void WriteBidResponse(const engine::BidRequest& request, const engine::AuctionResult& result,
                      std::string_view response_id, const ResponseOptions& options,
                      std::string* out);

// Native 1.2 response markup (the `adm` of a native bid) for `creative` answering `native`.
std::string NativeMarkup(const engine::NativeRequest& native, const engine::Creative& creative);

}  // namespace vetrina::openrtb
