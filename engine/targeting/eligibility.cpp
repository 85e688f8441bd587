#include "engine/targeting/eligibility.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace vetrina::engine {
namespace {

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool AnyAttributeBlocked(const Creative& creative, const std::vector<int>& battr) {
  for (int attr : creative.attributes) {
    if (std::find(battr.begin(), battr.end(), attr) != battr.end()) return true;
  }
  return false;
}

bool IsNativeServed(CreativeKind kind) {
  return kind == CreativeKind::kNative || kind == CreativeKind::kProduct ||
         kind == CreativeKind::kChallenge;
}

bool FitsLength(const std::string& text, int max_len) {
  return !text.empty() && (max_len <= 0 || static_cast<int>(text.size()) <= max_len);
}

// Native 1.2 §4.4: `wmin`/`hmin` are minimums (a `w`/`h` next to them is a preference); `w`/`h`
// alone are exact. A creative whose size we do not know meets no stated size.
bool FitsImageSize(Size size, const NativeAsset& asset) {
  auto fits = [](int have, int exact, int min) {
    if (min > 0) return have >= min;
    return exact <= 0 || have == exact;
  };
  return fits(size.w, asset.w, asset.wmin) && fits(size.h, asset.h, asset.hmin);
}

}  // namespace

bool CategoryBlocked(std::string_view category, std::string_view blocked) {
  if (category.size() < blocked.size() || category.substr(0, blocked.size()) != blocked) {
    return false;
  }
  return category.size() == blocked.size() || category[blocked.size()] == '-';
}

bool NativeAssetFillable(const Creative& creative, const NativeAsset& asset) {
  switch (asset.kind) {
    case NativeAssetKind::kTitle:
      return FitsLength(creative.title, asset.max_len);
    case NativeAssetKind::kImage:
      return asset.type == kNativeImageIcon
                 ? !creative.icon_url.empty() && FitsImageSize(creative.icon_size, asset)
                 : !creative.image_url.empty() && FitsImageSize(creative.image_size, asset);
    case NativeAssetKind::kVideo:
      return creative.kind == CreativeKind::kChallenge && !creative.markup.empty();
    case NativeAssetKind::kData:
      switch (asset.type) {
        case kNativeDataSponsored:
          return FitsLength(creative.sponsor, asset.max_len);
        case kNativeDataDesc:
          return FitsLength(creative.body, asset.max_len);
        case kNativeDataPrice:
          return FitsLength(creative.price_text, asset.max_len);
        case kNativeDataCtaText:
          return FitsLength(creative.cta, asset.max_len);
        default:
          return false;
      }
  }
  return false;
}

Size ServedVideoSize(const Creative& creative, Size slot) {
  if (creative.media_sizes.empty()) return creative.size;
  if (slot.w <= 0 || slot.h <= 0) return creative.media_sizes.front();
  auto misfit = [&](Size media) {
    const double aspect = std::abs(
        std::log(static_cast<double>(media.w) * slot.h / (static_cast<double>(media.h) * slot.w)));
    const int64_t area =
        std::llabs(static_cast<int64_t>(media.w) * media.h - static_cast<int64_t>(slot.w) * slot.h);
    return std::pair{aspect, area};
  };
  return *std::min_element(creative.media_sizes.begin(), creative.media_sizes.end(),
                           [&](Size a, Size b) { return misfit(a) < misfit(b); });
}

NoBidReason CheckCampaign(const Campaign& campaign, const BidRequest& request,
                          const RequestFacts& facts, absl::Time now) {
  if (campaign.status != CampaignStatus::kActive || now < campaign.start || now >= campaign.end) {
    return NoBidReason::kCampaignInactive;
  }
  if (NoBidReason r = CheckTargeting(campaign.targeting, facts); r != NoBidReason::kNone) return r;
  return CheckBlocks(campaign, request);
}

NoBidReason CheckBlocks(const Campaign& campaign, const BidRequest& request) {
  for (const std::string& category : campaign.categories) {
    for (const std::string& blocked : request.bcat) {
      if (CategoryBlocked(category, blocked)) return NoBidReason::kBlockedCategory;
    }
  }
  for (const std::string& domain : campaign.adomain) {
    if (Contains(request.badv, domain)) return NoBidReason::kBlockedAdvertiser;
  }
  if (!campaign.app_bundle.empty() && Contains(request.bapp, campaign.app_bundle)) {
    return NoBidReason::kBlockedApp;
  }
  return NoBidReason::kNone;
}

NoBidReason CheckImp(const Campaign& campaign, const Imp& imp, CreativeMatch* match) {
  if (NoBidReason r = CheckImpTargeting(campaign.targeting, imp); r != NoBidReason::kNone) {
    return r;
  }
  return MatchCreative(campaign, imp, match);
}

NoBidReason MatchCreative(const Campaign& campaign, const Imp& imp, CreativeMatch* match) {
  bool blocked_by_attribute = false;
  bool wrong_protocol = false;
  auto accept = [&](const Creative& creative, const std::vector<int>& battr, MediaType type,
                    Size size) {
    if (AnyAttributeBlocked(creative, battr)) {
      blocked_by_attribute = true;
      return false;
    }
    *match = CreativeMatch{&creative, type, size};
    return true;
  };

  for (const Creative& creative : campaign.creatives) {
    if (imp.secure && creative.loads_http) continue;
    if (imp.banner && creative.kind == CreativeKind::kBanner) {
      const auto& sizes = imp.banner->sizes;
      // An imp without sizes (typical of interstitials) takes any banner.
      if (sizes.empty() || std::find(sizes.begin(), sizes.end(), creative.size) != sizes.end()) {
        if (accept(creative, imp.banner->battr, MediaType::kBanner, creative.size)) {
          return NoBidReason::kNone;
        }
      }
    }
    if (imp.video && creative.kind == CreativeKind::kVideo) {
      const VideoSpec& v = *imp.video;
      const bool duration_ok = (v.min_duration <= 0 || creative.duration_s >= v.min_duration) &&
                               (v.max_duration <= 0 || creative.duration_s <= v.max_duration);
      const bool mime_ok =
          v.mimes.empty() || creative.mime.empty() || Contains(v.mimes, creative.mime);
      const bool rewarded_ok = !imp.rewarded || creative.rewarded_ok;
      const bool protocol_ok =
          v.protocols.empty() || std::find(v.protocols.begin(), v.protocols.end(),
                                           creative.vast_protocol) != v.protocols.end();
      if (duration_ok && mime_ok && rewarded_ok && !protocol_ok) wrong_protocol = true;
      if (duration_ok && mime_ok && rewarded_ok && protocol_ok &&
          accept(creative, v.battr, MediaType::kVideo, ServedVideoSize(creative, v.size))) {
        return NoBidReason::kNone;
      }
    }
    if (imp.native && IsNativeServed(creative.kind)) {
      const auto& assets = imp.native->request.assets;
      const bool fillable = std::all_of(assets.begin(), assets.end(), [&](const NativeAsset& a) {
        return !a.required || NativeAssetFillable(creative, a);
      });
      if (fillable && accept(creative, imp.native->battr, MediaType::kNative, Size{})) {
        return NoBidReason::kNone;
      }
    }
  }
  if (blocked_by_attribute) return NoBidReason::kBlockedAttribute;
  return wrong_protocol ? NoBidReason::kVideoProtocol : NoBidReason::kNoMatchingCreative;
}

}  // namespace vetrina::engine
