// Campaigns and creatives as the bid path sees them: validated, normalised and immutable once
// published in a CampaignSnapshot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/bid_request.h"
#include "engine/money.h"
#include "engine/targeting.h"

namespace vetrina::engine {

enum class CreativeKind : uint8_t {
  kBanner,
  kVideo,
  kNative,
  kProduct,    // shoppable product ad, served as native
  kChallenge,  // sponsored hashtag challenge, served as native
};

struct Creative {
  std::string id;
  CreativeKind kind = CreativeKind::kBanner;
  Size size;           // banner size; video/native image size when known
  std::string markup;  // banner HTML or VAST XML
  int duration_s = 0;  // video
  bool rewarded_ok = false;
  std::string mime;             // video
  std::vector<int> attributes;  // list 5.3 creative attributes, checked against `battr`
  std::string landing_url;
  // Native-served kinds.
  std::string title;
  std::string body;
  std::string cta;
  std::string sponsor;
  std::string image_url;
  Size image_size;
  std::string icon_url;
  std::string price_text;  // product ads: "19.99 USD"
};

enum class CampaignStatus : uint8_t { kActive, kPaused, kArchived };

struct Campaign {
  std::string id;
  std::string advertiser;
  CampaignStatus status = CampaignStatus::kActive;
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  Micros max_bid_cpm = 0;  // USD micros per thousand impressions
  std::string currency = "USD";
  std::vector<std::string> adomain;
  std::vector<std::string> categories;  // IAB content taxonomy 1.0 ids
  std::string app_bundle;               // the advertised app, checked against `bapp`
  std::vector<Creative> creatives;
  Targeting targeting;
};

}  // namespace vetrina::engine
