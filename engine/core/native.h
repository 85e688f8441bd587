// The parts of an OpenRTB Native 1.2 request that decide what a native ad must carry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vetrina::engine {

enum class NativeAssetKind : uint8_t { kTitle, kImage, kVideo, kData };

// Native 1.2 image asset types (§7.4).
inline constexpr int kNativeImageIcon = 1;
inline constexpr int kNativeImageMain = 3;
// Native 1.2 data asset types (§7.4).
inline constexpr int kNativeDataSponsored = 1;
inline constexpr int kNativeDataDesc = 2;
inline constexpr int kNativeDataPrice = 6;
inline constexpr int kNativeDataCtaText = 12;

struct NativeAsset {
  int64_t id = 0;
  bool required = false;
  NativeAssetKind kind = NativeAssetKind::kTitle;
  int type = 0;     // image or data type; 0 when not given
  int max_len = 0;  // title/data length limit; 0 = no limit
  // Image assets (Native 1.2 §4.4): exact size when only w/h are given, else minimums; 0 = none.
  int w = 0;
  int h = 0;
  int wmin = 0;
  int hmin = 0;
};

struct NativeRequest {
  std::string version;  // "1.2" when omitted
  std::vector<NativeAsset> assets;
  bool privacy = false;  // `privacy: 1`: the buyer's privacy notice URL is wanted (Native 1.2 §4.1)
};

}  // namespace vetrina::engine
