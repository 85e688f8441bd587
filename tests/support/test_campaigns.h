// Builders for engine tests: small valid campaigns and requests, adjusted per test.
#pragma once

#include <string>

#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"

namespace vetrina::engine::testing {

inline Campaign BannerCampaign(std::string id, Micros bid_cpm, Size size = {320, 50}) {
  Campaign c;
  c.id = std::move(id);
  c.advertiser = "adv-" + c.id;
  c.max_bid_cpm = bid_cpm;
  c.adomain = {c.id + ".example"};
  c.categories = {"IAB17"};
  Creative creative;
  creative.id = c.id + "-banner";
  creative.kind = CreativeKind::kBanner;
  creative.size = size;
  creative.markup = "<img src='" + c.id + "'>";
  c.creatives.push_back(creative);
  return c;
}

inline BidRequest BannerRequest(Size size = {320, 50}, Micros floor = 0) {
  BidRequest r;
  r.id = "req-1";
  Imp imp;
  imp.id = "1";
  imp.banner.emplace();
  imp.banner->sizes.push_back(size);
  imp.bid_floor = floor;
  r.imps.push_back(imp);
  r.publication.channel = DistributionChannel::kApp;
  r.publication.bundle = "com.example.app";
  r.device.os = "ios";
  r.device.device_type = 4;
  r.device.country = "USA";
  return r;
}

// `request` with its first imp repeated `n` times (ids "0", "1", ...), in a first-price auction:
// the many-imp request an unauthenticated sender may post.
inline BidRequest WithImpCopies(BidRequest request, size_t n) {
  request.auction_type = 1;
  const Imp imp = request.imps[0];
  request.imps.clear();
  for (size_t i = 0; i < n; ++i) {
    request.imps.push_back(imp);
    request.imps.back().id = std::to_string(i);
  }
  return request;
}

inline constexpr Micros kDollar = kMicrosPerUnit;
// A fixed "now" for tests: 2027-01-15.
inline const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

}  // namespace vetrina::engine::testing
