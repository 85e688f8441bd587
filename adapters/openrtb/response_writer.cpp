#include "adapters/openrtb/response_writer.h"

#include <cassert>

#include "base/json_writer.h"
#include "base/strings.h"
#include "engine/privacy/dsa.h"
#include "engine/targeting/eligibility.h"

namespace vetrina::openrtb {
namespace {

std::string NoticeUrl(std::string_view base, std::string_view kind, std::string_view token) {
  // Tokens are base64url: nothing in them needs escaping.
  return StrCat(base, "/ev/", kind, "?t=", token);
}

// `bid.ext.dsa` of the DSA Transparency extension: the campaign's transparency information.
void WriteDsa(const engine::DsaInfo& dsa, JsonWriter* w) {
  w->Key("dsa");
  w->BeginObject();
  w->Key("behalf");
  w->String(dsa.behalf);
  w->Key("paid");
  w->String(dsa.paid);
  if (!dsa.transparency.empty()) {
    w->Key("transparency");
    w->BeginArray();
    for (const engine::DsaTransparency& t : dsa.transparency) {
      w->BeginObject();
      w->Key("domain");
      w->String(t.domain);
      w->Key("dsaparams");
      w->BeginArray();
      for (int param : t.params) w->Int(param);
      w->EndArray();
      w->EndObject();
    }
    w->EndArray();
  }
  w->Key("adrender");
  w->Int(dsa.adrender);
  w->EndObject();
}

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  for (size_t at = text->find(from); at != std::string::npos;
       at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
  }
}

constexpr std::string_view kClickMacro = "${VETRINA_CLICK_URL}";

// `bid.ext.skadn`: the attribution, then one signed entry per fidelity type. The top-level
// nonce, timestamp and signature repeat the StoreKit-rendered entry's for readers of the 2.0
// layout.
void WriteSkadn(const skadn::SignedAttribution& signed_attribution, JsonWriter& w) {
  const engine::SkadnAttribution& a = signed_attribution.attribution;
  w.BeginObject();
  w.Key("version");
  w.String(engine::SkadnVersionName(a.version));
  w.Key("network");
  w.String(a.network);
  w.Key(a.source_identifier() ? "sourceidentifier" : "campaign");
  w.String(a.campaign_or_source);
  w.Key("itunesitem");
  w.String(a.itunes_item);
  w.Key("sourceapp");
  w.String(a.source_app);
  for (const skadn::SignedFidelity& f : signed_attribution.fidelities) {
    if (f.fidelity != engine::SkadnFidelity::kStoreKitRendered) continue;
    w.Key("nonce");
    w.String(f.nonce);
    w.Key("timestamp");
    w.String(f.timestamp_ms);
    w.Key("signature");
    w.String(f.signature);
  }
  w.Key("fidelities");
  w.BeginArray();
  for (const skadn::SignedFidelity& f : signed_attribution.fidelities) {
    w.BeginObject();
    w.Key("fidelity");
    w.Int(static_cast<int>(f.fidelity));
    w.Key("nonce");
    w.String(f.nonce);
    w.Key("timestamp");
    w.String(f.timestamp_ms);
    w.Key("signature");
    w.String(f.signature);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
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
      // Only a size the upload stated: Native 1.2 §5.3's w/h are the image's real size.
      const engine::Size size = icon ? c.icon_size : c.image_size;
      if (size.w > 0 && size.h > 0) {
        w.Key("w");
        w.Int(size.w);
        w.Key("h");
        w.Int(size.h);
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

std::string_view NoticeBaseUrl(const engine::Imp& imp, const ResponseOptions& options) {
  return imp.secure ? options.notice_base_url_https : options.notice_base_url;
}

std::string TrackedMarkup(const engine::Creative& creative, engine::MediaType type,
                          const NoticeUrls& urls) {
  std::string markup;
  if (type == engine::MediaType::kVideo && !urls.impression.empty()) {
    // VAST: our <Impression> goes right before the first <Impression> of each InLine and Wrapper,
    // where every VAST version's schema allows one; the upload found those offsets.
    const std::string tracker =
        StrCat("<Impression><![CDATA[", urls.impression, "]]></Impression>");
    markup.reserve(creative.markup.size() +
                   tracker.size() * creative.vast_impression_offsets.size());
    size_t copied = 0;
    for (uint32_t at : creative.vast_impression_offsets) {
      assert(at >= copied && at <= creative.markup.size());
      markup.append(creative.markup, copied, at - copied);
      markup.append(tracker);
      copied = at;
    }
    markup.append(creative.markup, copied);
  } else {
    markup = creative.markup;
  }
  ReplaceAll(&markup, kClickMacro, urls.click.empty() ? creative.landing_url : urls.click);
  if (urls.impression.empty() || type == engine::MediaType::kVideo) return markup;
  StrAppend(&markup, "<img src=\"", urls.impression,
            "\" width=\"1\" height=\"1\" style=\"display:none\" alt=\"\">");
  return markup;
}

std::string NativeMarkup(const engine::NativeRequest& native, const engine::Creative& creative,
                         const NoticeUrls& urls) {
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
  // Native 1.2 §5.7: with a deep link, `url` opens the app and `fallback` is for devices without
  // it; the click is then counted through `clicktrackers`, which fire either way.
  const std::string& click = urls.click.empty() ? creative.landing_url : urls.click;
  w.Key("link");
  w.BeginObject();
  w.Key("url");
  if (creative.deep_link.empty()) {
    w.String(click);
  } else {
    w.String(creative.deep_link);
    w.Key("fallback");
    w.String(creative.store_url.empty() ? creative.landing_url : creative.store_url);
    if (!urls.click.empty()) {
      w.Key("clicktrackers");
      w.BeginArray();
      w.String(urls.click);
      w.EndArray();
    }
  }
  w.EndObject();
  if (!urls.impression.empty()) {
    if (wrapped) {
      w.Key("imptrackers");
      w.BeginArray();
      w.String(urls.impression);
      w.EndArray();
    } else {
      w.Key("eventtrackers");
      w.BeginArray();
      w.BeginObject();
      w.Key("event");
      w.Int(1);  // impression
      w.Key("method");
      w.Int(1);  // image pixel
      w.Key("url");
      w.String(urls.impression);
      w.EndObject();
      w.EndArray();
    }
  }
  if (native.privacy && !urls.privacy.empty()) {
    w.Key("privacy");
    w.String(urls.privacy);
  }
  w.EndObject();
  if (wrapped) w.EndObject();
  return out;
}

void WriteBidResponse(const engine::BidRequest& request, const engine::AuctionResult& result,
                      std::string_view response_id, const std::vector<SignedBid>& signed_bids,
                      const ResponseOptions& options, std::string* out) {
  assert(!result.bids.empty() && signed_bids.size() == result.bids.size());
  JsonWriter w(out);
  w.BeginObject();
  w.Key("id");
  w.String(request.id);
  w.Key("bidid");
  w.String(response_id);
  w.Key("cur");
  w.String(result.currency);
  w.Key("seatbid");
  w.BeginArray();
  w.BeginObject();
  w.Key("seat");
  w.String(options.seat);
  w.Key("bid");
  w.BeginArray();
  for (size_t i = 0; i < result.bids.size(); ++i) {
    const engine::Bid& bid = result.bids[i];
    const SignedBid& signed_bid = signed_bids[i];
    const engine::Imp& imp = request.imps[bid.imp_index];
    const engine::Creative& creative = *bid.match.creative;
    const std::string_view base = NoticeBaseUrl(imp, options);
    // The auction skips secure imps when no https base is configured.
    assert(!base.empty());
    const bool privacy_asked = imp.native && imp.native->request.privacy;
    const NoticeUrls urls{
        .impression = NoticeUrl(base, "imp", signed_bid.ad_token),
        .click = NoticeUrl(base, "click", signed_bid.ad_token),
        .privacy = !privacy_asked                       ? std::string()
                   : !bid.campaign->privacy_url.empty() ? bid.campaign->privacy_url
                                                        : StrCat(base, "/privacy"),
    };
    w.BeginObject();
    w.Key("id");
    w.String(signed_bid.id);
    w.Key("impid");
    w.String(imp.id);
    w.Key("price");
    w.Price(bid.price_in_currency);
    w.Key("adm");
    if (bid.match.media_type == engine::MediaType::kNative) {
      w.String(NativeMarkup(imp.native->request, creative, urls));
    } else {
      w.String(TrackedMarkup(creative, bid.match.media_type, urls));
    }
    if (bid.deal != nullptr) {
      w.Key("dealid");
      w.String(bid.deal->id);
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
    if (!bid.campaign->app_bundle.empty()) {
      w.Key("bundle");
      w.String(bid.campaign->app_bundle);
    }
    if (bid.match.media_type == engine::MediaType::kVideo) {
      w.Key("dur");
      w.Int(creative.duration_s);
      if (creative.vast_protocol > 0) {
        w.Key("protocol");
        w.Int(creative.vast_protocol);
      }
    }
    w.Key("mtype");
    w.Int(static_cast<int>(bid.match.media_type));
    w.Key("nurl");
    w.String(StrCat(NoticeUrl(base, "win", signed_bid.exchange_token), "&p=${AUCTION_PRICE}"));
    w.Key("burl");
    w.String(StrCat(NoticeUrl(base, "bill", signed_bid.exchange_token), "&p=${AUCTION_PRICE}"));
    w.Key("lurl");
    w.String(StrCat(NoticeUrl(base, "loss", signed_bid.exchange_token),
                    "&p=${AUCTION_PRICE}&r=${AUCTION_LOSS}"));
    // One `ext` object for every extension the bid answers.
    const std::optional<skadn::SignedAttribution> attribution =
        options.skadn != nullptr ? options.skadn->Answer(request, imp, *bid.campaign)
                                 : std::nullopt;
    const bool dsa = engine::DecideDsa(*bid.campaign, request.regs).attach;
    if (attribution || dsa) {
      w.Key("ext");
      w.BeginObject();
      if (attribution) {
        w.Key("skadn");
        WriteSkadn(*attribution, w);
      }
      if (dsa) WriteDsa(*bid.campaign->dsa, &w);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

}  // namespace vetrina::openrtb
