// Campaigns and creatives as the bid path sees them: validated, normalised and immutable once
// published in a CampaignSnapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/core/bid_request.h"
#include "engine/core/money.h"
#include "engine/core/targeting.h"

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
  std::string mime;  // video
  // Video, from the VAST at upload: its OpenRTB list 5.8 protocol (11 = VAST 4.1, 12 = VAST 4.1
  // Wrapper, ...; 0 = unknown), its MediaFile sizes, and where the bid path splices our
  // <Impression> into `markup` (one ascending offset per InLine/Wrapper).
  int vast_protocol = 0;
  std::vector<Size> media_sizes;
  std::vector<uint32_t> vast_impression_offsets;
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
  Size icon_size;          // {0,0} when the upload gave none
  std::string price_text;  // product ads: "19.99 USD"
  // Product ads: the shop's page (an http(s) URL) and an optional app link opening the product in
  // the shop's app (any scheme but script and data ones).
  std::string store_url;
  std::string deep_link;
  // Whether showing the ad loads anything over plain http (an image, a media file, a tracker in
  // its markup), found at upload: such an ad cannot fill a `secure = 1` imp, whose page or app
  // would block it as mixed content (OpenRTB 2.6 §3.2.4).
  bool loads_http = false;
};

enum class CampaignStatus : uint8_t { kActive, kPaused, kArchived };

enum class BidStrategy : uint8_t {
  kCpm,  // pays per thousand impressions
  kCpc,  // pays per click; ranked by max CPC x predicted CTR x 1000
};

enum class Pacing : uint8_t {
  kEven,  // spread the daily budget evenly over the (UTC) day
  kAsap,  // bid whenever eligible until the budget is spent
};

enum class CapPeriod : uint8_t { kHour, kDay, kWeek };

// At most `max` impressions per user per calendar hour, day or week (UTC).
struct FrequencyCap {
  int max = 0;
  CapPeriod per = CapPeriod::kDay;
  friend bool operator==(const FrequencyCap&, const FrequencyCap&) = default;
};

// The CTR a CPC campaign's rank assumes at most; predictions are clamped to it, so a CPC
// campaign's rank bid (below) bounds every eCPM it can bid and the auction's early exit stays
// exact. In parts per million.
inline constexpr int64_t kMaxPredictedCtrPpm = 100'000;  // 10%

// The longest DSA `behalf` and `paid`: the extension's 100 characters, counted in bytes as Prebid
// Server counts them.
inline constexpr size_t kDsaMaxNameBytes = 100;

// What the advertiser states for the EU Digital Services Act's ad transparency (Art. 26 DSA), as
// the DSA transparency extension answers it in `bid.ext.dsa`.
struct DsaInfo {
  std::string behalf;  // on whose behalf the ad is shown
  std::string paid;    // who paid for it
  int adrender = 0;    // 1: the creative renders the transparency information itself
  std::vector<DsaTransparency> transparency = {};  // the buy side's applied user parameters
};

// The transparency information Regulation (EU) 2024/900 requires of a political ad.
struct PoliticalTransparency {
  std::string sponsor;     // Art. 11(1)(b): the sponsor's identity
  std::string notice_url;  // Art. 11(1)(d), Art. 12: where its transparency notice is
  // Art. 11(1)(c): the election, referendum or process it is linked to; "" when none.
  std::string election = "";
};

struct Campaign {
  std::string id;
  std::string advertiser;
  CampaignStatus status = CampaignStatus::kActive;
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  BidStrategy strategy = BidStrategy::kCpm;
  Micros max_bid_cpm = 0;  // kCpm: USD micros per thousand impressions
  Micros max_bid_cpc = 0;  // kCpc: USD micros per click
  std::string currency = "USD";
  Micros daily_budget = 0;     // USD micros per UTC day; 0 = no daily budget
  Micros lifetime_budget = 0;  // USD micros; 0 = no lifetime budget
  Pacing pacing = Pacing::kEven;
  std::vector<FrequencyCap> frequency_caps;
  bool child_directed = false;  // opted in to child-directed inventory
  // Bids only where the request's supply chain is authorised (engine/supply).
  bool require_authorised_supply = false;
  std::vector<std::string> adomain;
  std::vector<std::string> categories;  // IAB content taxonomy 1.0 ids
  std::string app_bundle;               // the advertised app, checked against `bapp`
  // The advertiser's page on its targeting (an https URL), answered to native `privacy: 1`;
  // empty = Vetrina's own /privacy page.
  std::string privacy_url;
  std::optional<DsaInfo> dsa;  // absent: the campaign states no DSA transparency information
  // A political ad under Regulation (EU) 2024/900, with its transparency information when given.
  bool political = false;
  std::optional<PoliticalTransparency> political_transparency;
  // SKAdNetwork: the advertised app's App Store id (digits; empty = no SKAdNetwork answers), the
  // campaign id versions 2.2 and 3.0 sign (1..100; 0 = none) and the source identifier 4.0
  // signs (0..9999; -1 = none).
  std::string itunes_item;
  int skadn_campaign = 0;
  int skadn_source_identifier = -1;
  std::vector<Creative> creatives;
  Targeting targeting;
};

// The bid that orders campaigns for the auction's walk: the CPM bid, or for CPC the highest eCPM
// the campaign can reach (max CPC at the CTR cap).
inline Micros RankBid(const Campaign& c) {
  if (c.strategy == BidStrategy::kCpm) return c.max_bid_cpm;
  // In 128 bits: max_bid_cpc is at most 1e15 micros, times 1e5 would overflow 64.
  return static_cast<Micros>(static_cast<__int128>(c.max_bid_cpc) * kMaxPredictedCtrPpm / 1000);
}

}  // namespace vetrina::engine
