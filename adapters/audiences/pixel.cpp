#include "adapters/audiences/pixel.h"

#include <charconv>

#include "adapters/campaigns/audience_json.h"
#include "adapters/campaigns/campaign_json.h"
#include "base/hex.h"
#include "base/ids.h"
#include "engine/privacy/user_data.h"

namespace vetrina::audiences {
namespace {

constexpr size_t kMaxParams = 32;
constexpr size_t kMaxValue = 256;
constexpr size_t kMaxConsentValue = 8192;  // real CMP strings run to a few KiB

}  // namespace

std::optional<std::string> UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexDigitValue(text[i + 1]), low = HexDigitValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

absl::StatusOr<PixelHit> ParsePixelQuery(std::string_view query) {
  PixelHit hit;
  size_t params = 0;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    if (++params > kMaxParams) return absl::InvalidArgumentError("too many parameters");
    const size_t eq = pair.find('=');
    std::optional<std::string> key = UrlDecode(pair.substr(0, eq));
    std::optional<std::string> value =
        UrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    const bool consent_string = key && (*key == "gdpr_consent" || *key == "gpp");
    if (!key || !value || value->size() > (consent_string ? kMaxConsentValue : kMaxValue)) {
      return absl::InvalidArgumentError("malformed parameter");
    }
    if (*key == "a") {
      hit.event.advertiser = *value;
    } else if (*key == "e") {
      hit.event.event = *value;
    } else if (*key == "ifa" || *key == "uid") {
      if (*key == "ifa") hit.signals.device.ifa = *value;
      if (std::optional<engine::AudienceKey> k = engine::KeyForId(*value)) hit.keys.push_back(*k);
    } else if (*key == "coppa" || *key == "gdpr" || *key == "lmt" || *key == "atts") {
      int flag = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), flag);
      if (ec != std::errc() || end != value->data() + value->size()) {
        return absl::InvalidArgumentError("malformed privacy flag");
      }
      (*key == "coppa"  ? hit.signals.regs.coppa
       : *key == "gdpr" ? hit.signals.regs.gdpr
       : *key == "lmt"  ? hit.signals.device.lmt
                        : hit.signals.device.atts) = flag;
    } else if (*key == "gdpr_consent") {
      hit.signals.user.consent = *value;
    } else if (*key == "bundle") {
      hit.signals.publication.bundle = *value;
    } else if (*key == "us_privacy") {
      hit.signals.regs.us_privacy = *value;
    } else if (*key == "gpp") {
      hit.signals.regs.gpp = *value;
    } else if (*key == "gpp_sid") {
      std::string_view ids = *value;
      while (!ids.empty()) {
        const size_t comma = ids.find(',');
        const std::string_view id = ids.substr(0, comma);
        int sid = 0;
        auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), sid);
        if (ec != std::errc() || end != id.data() + id.size() ||
            hit.signals.regs.gpp_sid.size() > 32) {
          return absl::InvalidArgumentError("malformed gpp_sid");
        }
        hit.signals.regs.gpp_sid.push_back(sid);
        ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
      }
    } else if (key->size() > 2 && key->compare(0, 2, "p.") == 0) {
      hit.event.params.emplace_back(key->substr(2), *value);
    }
  }
  if (!IsValidId(hit.event.advertiser)) {
    return absl::InvalidArgumentError("bad advertiser");
  }
  if (!campaigns::IsValidEventName(hit.event.event)) return absl::InvalidArgumentError("bad event");
  if (hit.keys.empty()) return absl::InvalidArgumentError("no user id");
  return hit;
}

engine::PrivacyDecision PixelPrivacy(const PixelHit& hit, const engine::PrivacyPolicy& policy) {
  engine::PrivacyDecision decision = engine::DecidePrivacy(hit.signals, policy);
  engine::WithholdChildData(&decision);
  return decision;
}

std::vector<engine::AudienceUpdate> PixelUpdates(const engine::AudienceRegistry& registry,
                                                 const PixelHit& hit, engine::Day today) {
  std::vector<engine::AudienceUpdate> updates;
  auto it = registry.pixel_audiences.find(hit.event.advertiser);
  if (it == registry.pixel_audiences.end()) return updates;
  for (const engine::Audience& audience : it->second) {
    const bool excludes = engine::RuleExcludes(audience.rule, hit.event);
    if (!excludes && !engine::RuleMatches(audience.rule, hit.event)) continue;
    for (const engine::AudienceKey& key : hit.keys) {
      updates.push_back({key, audience.segment, today + audience.MembershipDays(), excludes});
    }
  }
  return updates;
}

std::string_view PixelGif() {
  static constexpr unsigned char kGif[] = {
      0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
      0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
      0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};
  return {reinterpret_cast<const char*>(kGif), sizeof(kGif)};
}

}  // namespace vetrina::audiences
