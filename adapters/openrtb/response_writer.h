// Writes an engine::AuctionResult as an OpenRTB 2.6 bid response, with win, billing and loss
// notice URLs carrying the ${AUCTION_PRICE} / ${AUCTION_LOSS} macros, and native ads as Native 1.2
// response markup.
//
//   std::string body;
//   WriteBidResponse(request, result, "b-1a2b", options, &body);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/skadn/signer.h"
#include "engine/auction/auction.h"
#include "engine/core/bid_request.h"
#include "engine/pipeline/bid_pipeline.h"

namespace vetrina::openrtb {

struct ResponseOptions {
  std::string notice_base_url = "http://127.0.0.1:8080";  // where /ev/... and /privacy are served
  // The same over https, for imps with `secure = 1`; empty = none (the auction then skips them).
  std::string notice_base_url_https = "";
  std::string seat = "vetrina";
  // Signs `bid.ext.skadn` for the bids engine::DecideSkadn answers; null = no SKAdNetwork key.
  const skadn::Signing* skadn = nullptr;
};

using engine::SignedBid;

// Writes the 200 response body for `result`, which must hold at least one bid; `signed_bids`
// has one entry per bid, in order. `response_id` is the response's `bidid`.
//
// Each bid's nurl/burl/lurl are /ev/{win,bill,loss}?t=EXCHANGE_TOKEN with ${AUCTION_PRICE} (and
// ${AUCTION_LOSS}); its impression tracker is /ev/imp?t=AD_TOKEN and its click URL
// /ev/click?t=AD_TOKEN: in native markup as the link and trackers, in banner and VAST markup
// through the ${VETRINA_CLICK_URL} macro, an appended 1x1 image and a VAST <Impression>. An imp
// with `secure = 1` gets them all on `notice_base_url_https`, which must then be set. A native
// request with `privacy: 1` gets the campaign's privacy URL, or our /privacy page. With
// `options.skadn`, a bid whose imp and campaign qualify carries `ext.skadn` (the IAB Tech Lab
// SKAdNetwork extension), signed for both fidelity types.
void WriteBidResponse(const engine::BidRequest& request, const engine::AuctionResult& result,
                      std::string_view response_id, const std::vector<SignedBid>& signed_bids,
                      const ResponseOptions& options, std::string* out);

// Where a bid's notices and trackers go.
struct NoticeUrls {
  std::string impression = "";  // "" for none
  std::string click = "";       // "" for the creative's landing URL
  std::string privacy = "";     // native `privacy` when the request asked for it; "" for none
};

// The base URL of `imp`'s notices: the https one when the imp is secure.
std::string_view NoticeBaseUrl(const engine::Imp& imp, const ResponseOptions& options);

// Native response markup (the `adm` of a native bid) for `creative` answering `native`: the assets
// it can fill, the link (a product's deep link opens the app, its store page is the fallback and
// the click URL a click tracker), the impression tracker and, when asked, the privacy URL.
std::string NativeMarkup(const engine::NativeRequest& native, const engine::Creative& creative,
                         const NoticeUrls& urls = {});

// Banner HTML or VAST with the click macro replaced and the impression tracker added: after the
// banner, or in VAST before the first <Impression> of every InLine/Wrapper (at the creative's
// `vast_impression_offsets`, found at upload, so no XML is parsed here).
std::string TrackedMarkup(const engine::Creative& creative, engine::MediaType type,
                          const NoticeUrls& urls);

}  // namespace vetrina::openrtb
