#include "engine/targeting/eligibility.h"

#include <catch2/catch.hpp>

#include "tests/support/test_campaigns.h"

namespace vetrina::engine {
namespace {

using testing::BannerCampaign;
using testing::BannerRequest;
using testing::kDollar;
using testing::kNow;

NoBidReason Check(const Campaign& c, const BidRequest& request) {
  return CheckCampaign(c, request, MakeRequestFacts(request, kNow, nullptr), kNow);
}

Campaign VideoCampaign(int duration, bool rewarded_ok) {
  Campaign c = BannerCampaign("video", kDollar);
  c.creatives.clear();
  Creative v;
  v.id = "v";
  v.kind = CreativeKind::kVideo;
  v.duration_s = duration;
  v.rewarded_ok = rewarded_ok;
  v.mime = "video/mp4";
  v.markup = "<VAST version=\"4.1\">...</VAST>";
  v.vast_protocol = 11;  // VAST 4.1
  v.media_sizes = {{640, 360}};
  c.creatives.push_back(v);
  return c;
}

Imp VideoImp(int min_duration, int max_duration, bool rewarded) {
  Imp imp;
  imp.id = "1";
  imp.video.emplace();
  imp.video->min_duration = min_duration;
  imp.video->max_duration = max_duration;
  imp.video->mimes = {"video/mp4"};
  imp.video->size = {640, 360};
  imp.rewarded = rewarded;
  return imp;
}

TEST_CASE("flight dates and status gate a campaign") {
  Campaign c = BannerCampaign("a", kDollar);
  BidRequest request = BannerRequest();
  CHECK(Check(c, request) == NoBidReason::kNone);
  c.status = CampaignStatus::kPaused;
  CHECK(Check(c, request) == NoBidReason::kCampaignInactive);
  c.status = CampaignStatus::kActive;
  c.start = kNow + absl::Seconds(1);
  CHECK(Check(c, request) == NoBidReason::kCampaignInactive);
  c.start = kNow - absl::Hours(1);
  c.end = kNow;  // the end is exclusive
  CHECK(Check(c, request) == NoBidReason::kCampaignInactive);
}

TEST_CASE("targeting includes and excludes, one dimension at a time") {
  Campaign c = BannerCampaign("a", kDollar);
  BidRequest request = BannerRequest();
  c.targeting.country.include = {"CAN", "USA"};
  CHECK(Check(c, request) == NoBidReason::kNone);
  request.device.country = "FRA";
  CHECK(Check(c, request) == NoBidReason::kTargetingCountry);
  request.device.country = "";  // unknown country never matches an include list
  CHECK(Check(c, request) == NoBidReason::kTargetingCountry);

  request = BannerRequest();
  c = BannerCampaign("a", kDollar);
  c.targeting.os.exclude = {"android"};
  CHECK(Check(c, request) == NoBidReason::kNone);
  request.device.os = "android";
  CHECK(Check(c, request) == NoBidReason::kTargetingOs);

  request = BannerRequest();
  c = BannerCampaign("a", kDollar);
  c.targeting.device_type.include = {1, 4};
  CHECK(Check(c, request) == NoBidReason::kNone);
  request.device.device_type = 3;
  CHECK(Check(c, request) == NoBidReason::kTargetingDeviceType);

  request = BannerRequest();
  c = BannerCampaign("a", kDollar);
  c.targeting.app_bundle.exclude = {"com.example.app"};
  CHECK(Check(c, request) == NoBidReason::kTargetingAppBundle);
}

TEST_CASE("category blocking covers sub-categories but not look-alike prefixes") {
  CHECK(CategoryBlocked("IAB25", "IAB25"));
  CHECK(CategoryBlocked("IAB25-3", "IAB25"));
  CHECK_FALSE(CategoryBlocked("IAB2", "IAB25"));
  CHECK_FALSE(CategoryBlocked("IAB25", "IAB2"));
  CHECK_FALSE(CategoryBlocked("IAB2-5", "IAB25"));
}

TEST_CASE("banner creatives fit by size; an interstitial without sizes takes any banner") {
  Campaign c = BannerCampaign("a", kDollar, {300, 250});
  Imp imp = BannerRequest({320, 50}).imps[0];
  CreativeMatch match;
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNoMatchingCreative);
  imp.banner->sizes.push_back({300, 250});
  REQUIRE(MatchCreative(c, imp, &match) == NoBidReason::kNone);
  CHECK(match.size == Size{300, 250});
  CHECK(match.media_type == MediaType::kBanner);

  imp.banner->sizes.clear();
  imp.interstitial = true;
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNone);
}

TEST_CASE("a secure imp takes only creatives that load nothing over http (OpenRTB 2.6 §3.2.4)") {
  Campaign c = BannerCampaign("a", kDollar);
  c.creatives.push_back(c.creatives[0]);
  c.creatives[0].id = "plain";
  c.creatives[0].loads_http = true;
  c.creatives[1].id = "secure";
  Imp imp = BannerRequest().imps[0];
  CreativeMatch match;
  REQUIRE(MatchCreative(c, imp, &match) == NoBidReason::kNone);
  CHECK(match.creative->id == "plain");
  imp.secure = true;
  REQUIRE(MatchCreative(c, imp, &match) == NoBidReason::kNone);
  CHECK(match.creative->id == "secure");
  c.creatives.pop_back();
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNoMatchingCreative);
}

TEST_CASE("blocked creative attributes exclude a creative") {
  Campaign c = BannerCampaign("a", kDollar);
  c.creatives[0].attributes = {6};  // in-banner video, auto-play
  Imp imp = BannerRequest().imps[0];
  imp.banner->battr = {6};
  CreativeMatch match;
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kBlockedAttribute);
  imp.banner->battr = {1, 2};
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNone);
}

TEST_CASE("video fits by duration, mime and rewarded capability") {
  CreativeMatch match;
  CHECK(MatchCreative(VideoCampaign(30, false), VideoImp(5, 30, false), &match) ==
        NoBidReason::kNone);
  CHECK(match.media_type == MediaType::kVideo);
  CHECK(match.size == Size{640, 360});
  CHECK(MatchCreative(VideoCampaign(31, false), VideoImp(5, 30, false), &match) ==
        NoBidReason::kNoMatchingCreative);
  CHECK(MatchCreative(VideoCampaign(4, false), VideoImp(5, 30, false), &match) ==
        NoBidReason::kNoMatchingCreative);
  CHECK(MatchCreative(VideoCampaign(30, false), VideoImp(5, 30, true), &match) ==
        NoBidReason::kNoMatchingCreative);
  CHECK(MatchCreative(VideoCampaign(30, true), VideoImp(5, 30, true), &match) ==
        NoBidReason::kNone);
  Imp webm = VideoImp(0, 0, false);
  webm.video->mimes = {"video/webm"};
  CHECK(MatchCreative(VideoCampaign(30, false), webm, &match) == NoBidReason::kNoMatchingCreative);
}

TEST_CASE("video matches the request's VAST protocols (OpenRTB 2.6 §3.2.7, list 5.8)") {
  struct Row {
    const char* rule;
    std::vector<int> protocols;
    int creative_protocol;
    NoBidReason expected;
  };
  const Row rows[] = {
      {"§3.2.7 protocols absent: any VAST version", {}, 11, NoBidReason::kNone},
      {"list 5.8: 2 = VAST 2.0 only refuses VAST 4.1 (11)", {2}, 11, NoBidReason::kVideoProtocol},
      {"list 5.8: VAST 4.1 (11) listed", {2, 3, 7, 11}, 11, NoBidReason::kNone},
      {"list 5.8: 12 = VAST 4.1 Wrapper is not 11 = VAST 4.1 InLine",
       {12},
       11,
       NoBidReason::kVideoProtocol},
      {"list 5.8: a VAST 4.1 Wrapper (12) needs 12", {11}, 12, NoBidReason::kVideoProtocol},
      {"list 5.8: 16 = VAST 4.3 Wrapper", {15, 16}, 16, NoBidReason::kNone},
      {"list 5.8: a VAST of unknown version fits no list", {2, 3}, 0, NoBidReason::kVideoProtocol},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    Campaign c = VideoCampaign(30, false);
    c.creatives[0].vast_protocol = row.creative_protocol;
    Imp imp = VideoImp(5, 30, false);
    imp.video->protocols = row.protocols;
    CreativeMatch match;
    CHECK(MatchCreative(c, imp, &match) == row.expected);
  }
  // A creative that fails for another reason is no protocol miss.
  Imp long_slot = VideoImp(60, 0, false);
  long_slot.video->protocols = {2};
  CreativeMatch match;
  CHECK(MatchCreative(VideoCampaign(30, false), long_slot, &match) ==
        NoBidReason::kNoMatchingCreative);
}

TEST_CASE("a video bid's size is its media's, the one closest to the slot (OpenRTB 2.6 §4.3.3)") {
  Campaign c = VideoCampaign(15, false);
  Imp portrait = VideoImp(0, 0, false);
  portrait.video->size = {1080, 1920};
  CreativeMatch match;
  c.creatives[0].media_sizes = {{1280, 720}};
  REQUIRE(MatchCreative(c, portrait, &match) == NoBidReason::kNone);
  CHECK(match.size == Size{1280, 720});  // not the slot's 1080x1920
  // Several renditions: the closest aspect ratio, then the closest area.
  c.creatives[0].media_sizes = {{1280, 720}, {360, 640}, {720, 1280}, {1920, 1080}};
  REQUIRE(MatchCreative(c, portrait, &match) == NoBidReason::kNone);
  CHECK(match.size == Size{720, 1280});
  Imp landscape = VideoImp(0, 0, false);
  landscape.video->size = {1920, 1080};
  REQUIRE(MatchCreative(c, landscape, &match) == NoBidReason::kNone);
  CHECK(match.size == Size{1920, 1080});
  // A slot without a size: the first rendition.
  landscape.video->size = {};
  REQUIRE(MatchCreative(c, landscape, &match) == NoBidReason::kNone);
  CHECK(match.size == Size{1280, 720});
  CHECK(ServedVideoSize(c.creatives[0], {640, 360}) == Size{1280, 720});
}

TEST_CASE("native creatives must fill every required asset") {
  Campaign c = BannerCampaign("a", kDollar);
  c.creatives.clear();
  Creative n;
  n.id = "n";
  n.kind = CreativeKind::kNative;
  n.title = "A title of twenty-six ch";
  n.image_url = "https://img";
  n.body = "Body";
  c.creatives.push_back(n);

  Imp imp;
  imp.id = "1";
  imp.native.emplace();
  imp.native->request.assets = {
      {.id = 1, .required = true, .kind = NativeAssetKind::kTitle, .max_len = 90},
      {.id = 2, .required = true, .kind = NativeAssetKind::kImage, .type = kNativeImageMain},
      {.id = 3, .required = false, .kind = NativeAssetKind::kData, .type = kNativeDataSponsored},
  };
  CreativeMatch match;
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNone);
  CHECK(match.media_type == MediaType::kNative);

  imp.native->request.assets[0].max_len = 5;  // title too long for the slot
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNoMatchingCreative);
  imp.native->request.assets[0].max_len = 0;
  imp.native->request.assets[2].required = true;  // no sponsor text
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNoMatchingCreative);
}

TEST_CASE("native image assets fit by size (Native 1.2 §4.4)") {
  Creative creative;
  creative.kind = CreativeKind::kNative;
  creative.image_url = "https://img";
  creative.image_size = {720, 1280};
  creative.icon_url = "https://icon";
  creative.icon_size = {128, 128};
  Creative unsized = creative;
  unsized.image_size = {};
  unsized.icon_size = {};
  auto image = [](int type, int w, int h, int wmin, int hmin) {
    return NativeAsset{.id = 1,
                       .required = true,
                       .kind = NativeAssetKind::kImage,
                       .type = type,
                       .w = w,
                       .h = h,
                       .wmin = wmin,
                       .hmin = hmin};
  };
  struct Row {
    const char* rule;
    const Creative& creative;
    NativeAsset asset;
    bool fillable;
  } rows[] = {
      {"Native 1.2 §4.4 Image: no size stated, any image", creative,
       image(kNativeImageMain, 0, 0, 0, 0), true},
      {"Native 1.2 §4.4 Image: wmin/hmin are minimums, met", creative,
       image(kNativeImageMain, 0, 0, 600, 1000), true},
      {"Native 1.2 §4.4 Image: wmin/hmin are minimums, not met", creative,
       image(kNativeImageMain, 0, 0, 2000, 2000), false},
      {"Native 1.2 §4.4 Image: hmin alone, not met", creative,
       image(kNativeImageMain, 0, 0, 0, 1281), false},
      {"Native 1.2 §4.4 Image: w/h alone are exact, equal", creative,
       image(kNativeImageMain, 720, 1280, 0, 0), true},
      {"Native 1.2 §4.4 Image: w/h alone are exact, larger image", creative,
       image(kNativeImageMain, 600, 1000, 0, 0), false},
      {"Native 1.2 §4.4 Image: w next to wmin is a preference", creative,
       image(kNativeImageMain, 1200, 1600, 700, 1200), true},
      {"Native 1.2 §4.4 Image: an image of unknown size meets no stated size", unsized,
       image(kNativeImageMain, 0, 0, 100, 100), false},
      {"Native 1.2 §4.4 Image: an image of unknown size fills an unsized asset", unsized,
       image(kNativeImageMain, 0, 0, 0, 0), true},
      {"Native 1.2 §7.4 icon (type 1): the icon's size is checked", creative,
       image(kNativeImageIcon, 0, 0, 100, 100), true},
      {"Native 1.2 §7.4 icon (type 1): a larger minimum than the icon", creative,
       image(kNativeImageIcon, 0, 0, 200, 200), false},
      {"Native 1.2 §7.4 icon (type 1): an icon of unknown size meets no stated size", unsized,
       image(kNativeImageIcon, 50, 50, 0, 0), false},
      {"Native 1.2 §7.4 icon (type 1): an icon of unknown size fills an unsized asset", unsized,
       image(kNativeImageIcon, 0, 0, 0, 0), true},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(NativeAssetFillable(row.creative, row.asset) == row.fillable);
  }
}

TEST_CASE("a required image asset too large for the creative excludes it; an optional one not") {
  Campaign c = BannerCampaign("a", kDollar);
  c.creatives.clear();
  Creative n;
  n.id = "n";
  n.kind = CreativeKind::kNative;
  n.title = "Title";
  n.image_url = "https://img";
  n.image_size = {720, 1280};
  c.creatives.push_back(n);
  Imp imp;
  imp.id = "1";
  imp.native.emplace();
  imp.native->request.assets = {
      {.id = 1, .required = true, .kind = NativeAssetKind::kTitle},
      {.id = 2,
       .required = true,
       .kind = NativeAssetKind::kImage,
       .type = kNativeImageMain,
       .wmin = 2000,
       .hmin = 2000},
  };
  CreativeMatch match;
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNoMatchingCreative);
  imp.native->request.assets[1].required = false;
  CHECK(MatchCreative(c, imp, &match) == NoBidReason::kNone);
}

}  // namespace
}  // namespace vetrina::engine
