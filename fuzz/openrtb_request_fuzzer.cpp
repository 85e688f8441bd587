// The OpenRTB 2.6 request parser, then the privacy decision and the auction over the demo-like
// campaigns, on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/openrtb/request_parser.h"
#include "engine/auction/auction.h"
#include "engine/privacy/privacy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vetrina;
  static openrtb::BidRequestParser parser(256 * 1024);
  static const engine::CampaignSet campaigns = [] {
    engine::Campaign c;
    c.id = "c";
    c.advertiser = "a";
    c.max_bid_cpm = 2'000'000;
    engine::Creative banner;
    banner.id = "b";
    banner.size = {320, 50};
    banner.markup = "<img>";
    c.creatives.push_back(banner);
    return engine::CampaignSet(std::vector<engine::Campaign>{c});
  }();
  engine::BidRequest request;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (!parser.Parse(body, &request).ok()) return 0;
  engine::MinimiseRequest(&request);
  const engine::PrivacyDecision privacy = engine::DecidePrivacy(request, {.vendor_id = 32});
  engine::RunAuction(request, campaigns,
                     engine::AuctionContext{.now = absl::FromUnixSeconds(1'800'000'000),
                                            .child_directed = privacy.child_directed});
  return 0;
}
