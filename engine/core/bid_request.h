// The engine's view of an OpenRTB 2.6 bid request: only what eligibility, the auction, privacy and
// the response need. Adapters fill it (2.5 extension locations folded into their 2.6 homes) and
// normalise values once, so the hot path compares plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/core/money.h"
#include "engine/core/native.h"

namespace vetrina::engine {

// OpenRTB `mtype` values (2.6 §3.2.4 / list 7.? "Creative Markup Type").
enum class MediaType : uint8_t { kBanner = 1, kVideo = 2, kAudio = 3, kNative = 4 };

struct Size {
  int w = 0;
  int h = 0;
  friend bool operator==(const Size&, const Size&) = default;
};

struct BannerSpec {
  std::vector<Size> sizes;  // `w`/`h` first when given, then `format[]`
  std::vector<int> battr;
};

struct VideoSpec {
  Size size;
  int min_duration = 0;  // seconds; 0 = not given
  int max_duration = 0;  // seconds; 0 = not given
  std::vector<std::string> mimes;
  std::vector<int> battr;
  std::vector<int> protocols;  // list 5.8 (VAST versions, InLine or Wrapper); empty = any
};

struct AudioSpec {
  std::vector<std::string> mimes;
};

struct NativeSpec {
  NativeRequest request;
  std::vector<int> battr;
};

struct Deal {
  std::string id;
  Micros floor = 0;  // in `floor_currency`
  std::string floor_currency = "USD";
  int auction_type = 0;  // 0 = inherit
  std::vector<std::string> wseat;
};

// `imp.ext.skadn` (the IAB Tech Lab SKAdNetwork extension): the source app's SKAdNetwork support.
struct SkadnRequest {
  std::vector<std::string> versions;     // `versions`, and the deprecated single `version`
  std::string source_app;                // `sourceapp`: the publisher app's App Store id
  std::vector<std::string> network_ids;  // `skadnetids` and `skadnetlist.addl`, lower-cased
  bool product_page = false;             // `productpage`: custom product pages supported
  bool skoverlay = false;                // `skoverlay`: SKOverlay supported
};

struct Imp {
  std::string id;
  std::optional<BannerSpec> banner;
  std::optional<VideoSpec> video;
  std::optional<AudioSpec> audio;
  std::optional<NativeSpec> native;
  bool interstitial = false;
  bool rewarded = false;  // `rwdd`, or 2.5's `ext.prebid.is_rewarded_inventory`
  Micros bid_floor = 0;   // in `bid_floor_currency`
  std::string bid_floor_currency = "USD";
  std::string tag_id;
  bool private_auction = false;
  bool secure = false;  // `secure = 1`: every URL of the bid must be https
  std::vector<Deal> deals;
  std::optional<SkadnRequest> skadn;  // `ext.skadn`
};

enum class DistributionChannel : uint8_t { kNone, kApp, kSite, kDooh };

// `app`, `site` or `dooh`: at most one is present.
struct Publication {
  DistributionChannel channel = DistributionChannel::kNone;
  std::string id;
  std::string bundle;  // app bundle; empty for site/dooh
  std::string domain;
  std::string publisher_id;
  std::vector<std::string> categories;

  // The app the ad would run in: the bundle, else (sites, DOOH) the domain.
  const std::string& app() const { return bundle.empty() ? domain : bundle; }
};

struct Device {
  std::string ua;
  std::string ip;  // as received; BidPipeline::Minimise truncates it before any use
  std::string ipv6;
  int device_type = 0;      // list 7.21; 0 = not given
  int connection_type = 0;  // list 7.11; 0 = not given
  std::string os;           // lower-cased
  std::string os_version;
  std::string make;
  std::string model;
  std::string language;  // lower-cased
  std::string ifa;
  std::string ifv;  // `device.ext.ifv`
  std::optional<int> lmt;
  std::optional<int> dnt;
  std::optional<int> atts;  // `device.ext.atts`, Apple's ATT status
  std::string country;      // `geo.country`, ISO-3166-1 alpha-3, upper-cased
  std::string region;
  std::string city;
  int utc_offset_minutes = 0;  // `geo.utcoffset`
};

struct Eid {
  std::string source;
  std::vector<std::string> ids;
};

struct User {
  std::string id;
  std::string buyer_uid;
  std::string consent;  // TCF string; `user.consent` or 2.5's `user.ext.consent`
  std::vector<Eid> eids;
};

// One entity that applied user parameters to the ad, in the DSA transparency extension (IAB Tech
// Lab community extension "DSA Transparency"): its domain and the user parameters it used (1
// profiling, 2 basic advertising, 3 precise geolocation).
struct DsaTransparency {
  std::string domain = "";
  std::vector<int> params = {};  // `dsaparams`
  friend bool operator==(const DsaTransparency&, const DsaTransparency&) = default;
};

// `regs.ext.dsa`: whether the publisher needs the EU Digital Services Act's ad transparency
// information (Art. 26 DSA) in bids, and who shows it.
struct DsaSignal {
  // `dsarequired`: 0 no, 1 supported, 2 required, 3 required and the publisher is an online
  // platform.
  int required = 0;
  std::optional<int> pubrender = std::nullopt;  // 0 publisher can't render, 1 could, 2 will
  std::optional<int> datatopub = std::nullopt;  // 0 don't send, 1 optional, 2 send, for audit
  std::vector<DsaTransparency> transparency = {};
};

struct Regs {
  std::optional<int> coppa;
  std::optional<int> gdpr;  // `regs.gdpr` or 2.5's `regs.ext.gdpr`
  std::string us_privacy;   // `regs.us_privacy` or 2.5's `regs.ext.us_privacy`
  std::string gpp;
  std::vector<int> gpp_sid;
  std::optional<DsaSignal> dsa;  // `regs.ext.dsa`
};

// OpenRTB 2.6 §3.2.25 SupplyChain (`source.schain`, or 2.5's `source.ext.schain`) and §3.2.26
// SupplyChainNode: who sold the impression, from the publisher's own seller account (the first
// node) to the one that sent us the request (the last).
struct SupplyChainNode {
  std::string asi;  // the advertising system's canonical domain, lower-cased
  std::string sid;  // the seller's id on it: its sellers.json `seller_id`
  std::string rid;
  std::string name;
  std::string domain;
  std::optional<int> hp;  // whether the node is in the flow of payment; 1.0 requires 1
};

struct SupplyChain {
  bool complete = false;  // `complete` = 1: the nodes reach back to the inventory's owner
  std::string version;    // `ver`
  std::vector<SupplyChainNode> nodes;
};

struct BidRequest {
  std::string id;
  std::vector<Imp> imps;
  Publication publication;
  Device device;
  User user;
  Regs regs;
  int auction_type = 2;  // `at`: 1 first price, 2 second price (the spec's default)
  int tmax_ms = 0;       // 0 = not given
  bool test = false;
  std::vector<std::string> currencies;  // `cur`; empty = any (USD assumed)
  std::vector<std::string> wseat;
  std::vector<std::string> bseat;
  std::vector<std::string> bcat;
  int cattax = 1;
  std::vector<std::string> badv;
  std::vector<std::string> bapp;
  bool has_schain = false;            // `source.schain` or `source.ext.schain` was present
  std::optional<SupplyChain> schain;  // the 2.6 location when both are
  absl::Time received_at = absl::InfinitePast();  // set by the transport; basis of the deadline
};

}  // namespace vetrina::engine
