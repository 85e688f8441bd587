#include "adapters/openrtb/response_writer.h"

#include <cassert>

#include "absl/strings/ascii.h"
#include "adapters/openrtb/json_writer.h"
#include "engine/eligibility.h"
#include "engine/strings.h"

namespace vetrina::openrtb {
namespace {

void AppendUrlEncoded(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out->push_back(c);
    } else {
      out->push_back('%');
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    }
  }
}

std::string NoticeUrl(std::string_view kind, const engine::BidRequest& request,
                      const engine::Bid& bid, std::string_view bid_id,
                      const ResponseOptions& options) {
  std::string url = StrCat(options.notice_base_url, "/ev/", kind, "?a=");
  AppendUrlEncoded(request.id, &url);
  url.append("&b=");
  AppendUrlEncoded(bid_id, &url);
  url.append("&c=");
  AppendUrlEncoded(bid.campaign->id, &url);
  url.append("&cr=");
  AppendUrlEncoded(bid.match.creative->id, &url);
  url.append("&p=${AUCTION_PRICE}");
  if (kind == "loss") url.append("&r=${AUCTION_LOSS}");
  return url;
}

void WriteNativeAsset(const engine::NativeAsset& asset, const engine::Creative& c, JsonWriter& w) {
  w.BeginObject();
  w.Key("id");
  w.Int(asset.id);
  switch (asset.kind) {
    case engine::NativeAssetKind::kTitle:
      w.Key("title");
      w.BeginObject();
      w.Key("text");
      w.String(c.title);
      w.EndObject();
      break;
    case engine::NativeAssetKind::kImage: {
      const bool icon = asset.type == engine::kNativeImageIcon;
      w.Key("img");
      w.BeginObject();
      w.Key("url");
      w.String(icon ? c.icon_url : c.image_url);
      if (!icon && c.image_size.w > 0) {
        w.Key("w");
        w.Int(c.image_size.w);
        w.Key("h");
        w.Int(c.image_size.h);
      }
      w.EndObject();
      break;
    }
    case engine::NativeAssetKind::kVideo:
      w.Key("video");
      w.BeginObject();
      w.Key("vasttag");
      w.String(c.markup);
      w.EndObject();
      break;
    case engine::NativeAssetKind::kData: {
      std::string_view value;
      switch (asset.type) {
        case engine::kNativeDataSponsored:
          value = c.sponsor;
          break;
        case engine::kNativeDataDesc:
          value = c.body;
          break;
        case engine::kNativeDataPrice:
          value = c.price_text;
          break;
        case engine::kNativeDataCtaText:
          value = c.cta;
          break;
      }
      w.Key("data");
      w.BeginObject();
      w.Key("value");
      w.String(value);
      w.EndObject();
      break;
    }
  }
  w.EndObject();
}

}  // namespace

std::string NativeMarkup(const engine::NativeRequest& native, const engine::Creative& creative) {
  std::string out;
  JsonWriter w(&out);
  // Native 1.0 and 1.1 responses are wrapped in {"native": ...}; 1.2 dropped the wrapper.
  const bool wrapped = native.version.rfind("1.0", 0) == 0 || native.version.rfind("1.1", 0) == 0;
  if (wrapped) {
    w.BeginObject();
    w.Key("native");
  }
  w.BeginObject();
  w.Key("ver");
  w.String(wrapped ? native.version : "1.2");
  w.Key("assets");
  w.BeginArray();
  for (const engine::NativeAsset& asset : native.assets) {
    if (engine::NativeAssetFillable(creative, asset)) WriteNativeAsset(asset, creative, w);
  }
  w.EndArray();
  w.Key("link");
  w.BeginObject();
  w.Key("url");
  w.String(creative.landing_url);
  w.EndObject();
  w.EndObject();
  if (wrapped) w.EndObject();
  return out;
}

void WriteBidResponse(const engine::BidRequest& request, const engine::AuctionResult& result,
                      std::string_view response_id, const ResponseOptions& options,
                      std::string* out) {
  assert(!result.bids.empty());
  JsonWriter w(out);
  w.BeginObject();
  w.Key("id");
  w.String(request.id);
  w.Key("bidid");
  w.String(response_id);
  w.Key("cur");
  w.String("USD");
  w.Key("seatbid");
  w.BeginArray();
  w.BeginObject();
  w.Key("seat");
  w.String(options.seat);
  w.Key("bid");
  w.BeginArray();
  for (const engine::Bid& bid : result.bids) {
    const engine::Imp& imp = request.imps[bid.imp_index];
    const engine::Creative& creative = *bid.match.creative;
    const std::string bid_id = StrCat(response_id, "-", bid.imp_index);
    w.BeginObject();
    w.Key("id");
    w.String(bid_id);
    w.Key("impid");
    w.String(imp.id);
    w.Key("price");
    w.Price(bid.clearing_price);
    w.Key("adm");
    if (bid.match.media_type == engine::MediaType::kNative) {
      w.String(NativeMarkup(imp.native->request, creative));
    } else {
      w.String(creative.markup);
    }
    w.Key("adomain");
    w.BeginArray();
    for (const std::string& domain : bid.campaign->adomain) w.String(domain);
    w.EndArray();
    w.Key("crid");
    w.String(creative.id);
    w.Key("cid");
    w.String(bid.campaign->id);
    if (!bid.campaign->categories.empty()) {
      w.Key("cat");
      w.BeginArray();
      for (const std::string& category : bid.campaign->categories) w.String(category);
      w.EndArray();
    }
    if (bid.match.size.w > 0 && bid.match.size.h > 0) {
      w.Key("w");
      w.Int(bid.match.size.w);
      w.Key("h");
      w.Int(bid.match.size.h);
    }
    w.Key("mtype");
    w.Int(static_cast<int>(bid.match.media_type));
    w.Key("nurl");
    w.String(NoticeUrl("win", request, bid, bid_id, options));
    w.Key("burl");
    w.String(NoticeUrl("bill", request, bid, bid_id, options));
    w.Key("lurl");
    w.String(NoticeUrl("loss", request, bid, bid_id, options));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

}  // namespace vetrina::openrtb
