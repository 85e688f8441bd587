#include "engine/testing/synthetic.h"

#include <algorithm>
#include <cmath>

#include "base/strings.h"

namespace vetrina::engine {
namespace {

constexpr const char* kCountries[] = {"USA", "IND", "BRA", "IDN", "MEX", "JPN", "DEU", "GBR",
                                      "FRA", "TUR", "VNM", "PHL", "EGY", "THA", "KOR", "ITA",
                                      "ESP", "CAN", "POL", "ARG", "COL", "SAU", "NGA", "PAK",
                                      "MYS", "AUS", "NLD", "ZAF", "UKR", "CHL"};
constexpr int kNumCountries = sizeof(kCountries) / sizeof(kCountries[0]);
constexpr const char* kRegions[] = {"CA", "NY", "TX", "FL", "WA", "IL", "ON", "BC", "BY", "BE"};
constexpr const char* kLanguages[] = {"en", "es", "pt", "hi", "id", "ja", "de", "fr", "tr", "ko"};
constexpr int kBundles = 5000;
constexpr int kPublishers = 500;
constexpr int kCategories = 26;
constexpr const char* kMimes[] = {"video/mp4"};

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

SyntheticWorld::SyntheticWorld(uint64_t seed) : rng_(seed) {}

int SyntheticWorld::Zipf(int n) {
  // Inverse-CDF on the continuous approximation: cheap and skewed enough for workloads.
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double x = std::exp(u(rng_) * std::log(static_cast<double>(n) + 1.0)) - 1.0;
  return std::min(n - 1, static_cast<int>(x));
}

bool SyntheticWorld::Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

int SyntheticWorld::Uniform(int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng_);
}

std::string SyntheticWorld::SegmentName(int i) { return StrCat("adv", i % 97, "/aud", i); }

Campaign SyntheticWorld::MakeCampaign(size_t index) {
  Campaign c;
  c.id = StrCat("c", index);
  c.advertiser = StrCat("adv", index % 97);
  c.max_bid_cpm = Uniform(10, 2000) * 10'000;
  c.adomain = {StrCat("brand", index % 997, ".example")};
  c.categories = {StrCat("IAB", 1 + Zipf(kCategories))};
  if (Chance(0.05)) c.status = CampaignStatus::kPaused;
  if (Chance(0.15)) {
    // Flight windows around 2027-01-15 (1.8e9 s), to sub-second precision.
    c.start = absl::FromUnixMillis(1'800'000'000'000 + Uniform(-5, 60) * 86'400'000LL +
                                   Uniform(0, 86'399'999));
    c.end = c.start + absl::Hours(Uniform(1, 60 * 24)) + absl::Milliseconds(Uniform(0, 999));
  }
  Targeting& t = c.targeting;
  if (Chance(0.85)) {
    for (int i = Uniform(1, 3); i > 0; --i)
      t.country.include.push_back(kCountries[Zipf(kNumCountries)]);
  }
  if (Chance(0.05)) t.region.include.push_back(kRegions[Uniform(0, 9)]);
  if (Chance(0.5)) t.os.include.push_back(Chance(0.45) ? "ios" : "android");
  if (Chance(0.15)) t.os_version.min = {Uniform(10, 16)};
  if (Chance(0.3)) t.device_type.include = {4, 5};
  if (Chance(0.1)) t.connection_type.include = {2};
  if (Chance(0.12)) {
    for (int i = Uniform(1, 20); i > 0; --i)
      t.app_bundle.include.push_back(StrCat("com.app", Zipf(kBundles)));
  } else if (Chance(0.1)) {
    for (int i = Uniform(1, 50); i > 0; --i)
      t.app_bundle.exclude.push_back(StrCat("com.app", Zipf(kBundles)));
  }
  if (Chance(0.25)) {
    for (int i = Uniform(1, 3); i > 0; --i)
      t.app_category.include.push_back(StrCat("IAB", 1 + Zipf(kCategories)));
  }
  if (Chance(0.05)) t.publisher.exclude.push_back(StrCat("pub", Zipf(kPublishers)));
  if (Chance(0.3)) t.language.include.push_back(kLanguages[Zipf(10)]);
  if (Chance(0.08)) {
    const int start = Uniform(0, 150);
    for (int h = start; h < start + 12; ++h) t.hour_of_week.include.push_back(h);
  }
  if (Chance(0.2)) {
    for (int i = Uniform(1, 4); i > 0; --i)
      t.audiences.any_of.push_back(SegmentName(Zipf(kSegments)));
  }
  if (Chance(0.04)) t.audiences.all_of.push_back(SegmentName(Zipf(kSegments)));
  if (Chance(0.05)) t.audiences.exclude.push_back(SegmentName(Zipf(kSegments)));
  if (Chance(0.05)) t.placement.include.push_back(Placement::kRewarded);
  for (auto* d :
       {&t.country, &t.region, &t.os, &t.app_bundle, &t.app_category, &t.publisher, &t.language}) {
    SortUnique(&d->include);
    SortUnique(&d->exclude);
  }
  for (auto* d : {&t.device_type, &t.connection_type, &t.hour_of_week}) SortUnique(&d->include);
  SortUnique(&t.audiences.any_of);
  SortUnique(&t.audiences.all_of);
  SortUnique(&t.audiences.exclude);

  Creative banner;
  banner.id = "b";
  banner.kind = CreativeKind::kBanner;
  banner.size = Chance(0.6) ? Size{320, 50} : Size{300, 250};
  banner.markup = StrCat("<a href='https://", c.adomain[0], "'><img src='https://cdn.example/",
                         c.id, ".png'></a>");
  c.creatives.push_back(banner);
  if (Chance(0.4)) {
    Creative video;
    video.id = "v";
    video.kind = CreativeKind::kVideo;
    video.duration_s = Chance(0.5) ? 15 : 30;
    video.rewarded_ok = Chance(0.7);
    video.mime = kMimes[0];
    // What an upload would accept and keep: a VAST 4.1 InLine in its schema's element order.
    video.markup = StrCat(
        "<VAST version=\"4.1\"><Ad id=\"", c.id, "\"><InLine><AdSystem>Vetrina</AdSystem>",
        "<Impression><![CDATA[https://track.example/imp]]></Impression><AdServingId>", c.id,
        "</AdServingId><AdTitle>", c.id, "</AdTitle><Creatives><Creative>",
        "<UniversalAdId idRegistry=\"unknown\">unknown</UniversalAdId><Linear><Duration>00:00:",
        video.duration_s, "</Duration><MediaFiles><MediaFile delivery=\"progressive\" ",
        "type=\"video/mp4\" width=\"1280\" height=\"720\"><![CDATA[https://cdn.example/", c.id,
        ".mp4]]></MediaFile></MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>");
    video.vast_protocol = 11;  // VAST 4.1
    video.media_sizes = {{1280, 720}};
    video.vast_impression_offsets = {static_cast<uint32_t>(video.markup.find("<Impression>"))};
    c.creatives.push_back(video);
  }
  if (Chance(0.3)) {
    Creative native;
    native.id = "n";
    native.kind = CreativeKind::kNative;
    native.title = StrCat("Offer ", index);
    native.body = "Limited time";
    native.image_url = "https://cdn.example/main.jpg";
    native.icon_url = "https://cdn.example/icon.png";
    native.sponsor = "Brand";
    native.cta = "Install";
    native.landing_url = StrCat("https://", c.adomain[0]);
    c.creatives.push_back(native);
  }
  return c;
}

std::vector<Campaign> SyntheticWorld::Campaigns(size_t count) {
  std::vector<Campaign> campaigns;
  campaigns.reserve(count);
  for (size_t i = 0; i < count; ++i) campaigns.push_back(MakeCampaign(i));
  return campaigns;
}

BidRequest SyntheticWorld::Request() {
  BidRequest r;
  r.id = StrCat("req-", rng_());
  Imp imp;
  imp.id = "1";
  imp.bid_floor = Uniform(0, 100) * 10'000;
  switch (Uniform(0, 3)) {
    case 0:
      imp.banner.emplace();
      imp.banner->sizes = {Chance(0.7) ? Size{320, 50} : Size{300, 250}};
      break;
    case 1:
      imp.interstitial = true;
      imp.banner.emplace();
      imp.video.emplace();
      imp.video->max_duration = 30;
      imp.video->mimes = {"video/mp4"};
      break;
    case 2:
      imp.rewarded = true;
      imp.video.emplace();
      imp.video->min_duration = 5;
      imp.video->max_duration = 30;
      imp.video->mimes = {"video/mp4"};
      imp.video->size = {1280, 720};
      break;
    default:
      imp.native.emplace();
      imp.native->request.version = "1.2";
      imp.native->request.assets = {
          {.id = 1, .required = true, .kind = NativeAssetKind::kTitle, .max_len = 90},
          {.id = 2, .required = true, .kind = NativeAssetKind::kImage, .type = kNativeImageMain},
          {.id = 3,
           .required = false,
           .kind = NativeAssetKind::kData,
           .type = kNativeDataSponsored},
      };
  }
  r.imps.push_back(std::move(imp));
  r.publication.channel = DistributionChannel::kApp;
  r.publication.bundle = StrCat("com.app", Zipf(kBundles));
  r.publication.id = r.publication.bundle;
  r.publication.publisher_id = StrCat("pub", Zipf(kPublishers));
  r.publication.categories = {StrCat("IAB", 1 + Zipf(kCategories))};
  r.device.os = Chance(0.45) ? "ios" : "android";
  r.device.os_version = StrCat(Uniform(9, 17), ".", Uniform(0, 4));
  r.device.device_type = Chance(0.85) ? 4 : 5;
  r.device.connection_type = Uniform(1, 6);
  r.device.country = kCountries[Zipf(kNumCountries)];
  if (r.device.country == "USA" || r.device.country == "CAN")
    r.device.region = kRegions[Uniform(0, 7)];
  r.device.language = kLanguages[Zipf(10)];
  r.device.ifa = StrCat("00000000-0000-4000-8000-", 100000000000ull + rng_() % 900000000000ull);
  r.device.utc_offset_minutes = Uniform(-8, 9) * 60;
  return r;
}

std::vector<std::string> SyntheticWorld::UserSegments() {
  std::vector<std::string> segments;
  for (int i = Uniform(0, 8); i > 0; --i) segments.push_back(SegmentName(Zipf(kSegments)));
  SortUnique(&segments);
  return segments;
}

}  // namespace vetrina::engine
