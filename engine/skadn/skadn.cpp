#include "engine/skadn/skadn.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "base/strings.h"

namespace vetrina::engine {
namespace {

constexpr std::string_view kSeparator = "\u2063";

// A request's version text as one of ours: "3.0" and "3" are the same version.
std::optional<SkadnVersion> ParseSkadnVersion(std::string_view text) {
  if (text == "2.2") return SkadnVersion::k2_2;
  if (text == "3.0" || text == "3") return SkadnVersion::k3_0;
  if (text == "4.0" || text == "4") return SkadnVersion::k4_0;
  return std::nullopt;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

// The parser lower-cases the request's ids, as the extension says publishers list them.
bool ListsNetwork(const SkadnRequest& skadn, std::string_view ours_lower) {
  for (const std::string& id : skadn.network_ids) {
    if (id == ours_lower) return true;
  }
  return false;
}

bool IsAppleDevice(const Device& device) { return device.os == "ios" || device.os == "ipados"; }

}  // namespace

std::string_view SkadnVersionName(SkadnVersion version) {
  switch (version) {
    case SkadnVersion::k2_2:
      return "2.2";
    case SkadnVersion::k3_0:
      return "3.0";
    case SkadnVersion::k4_0:
      return "4.0";
  }
  return "";
}

std::optional<SkadnAttribution> DecideSkadn(const BidRequest& request, const Imp& imp,
                                            const Campaign& campaign,
                                            std::string_view our_network_id) {
  if (our_network_id.empty() || !imp.skadn || campaign.itunes_item.empty()) return std::nullopt;
  const SkadnRequest& skadn = *imp.skadn;
  std::string network = Lower(our_network_id);
  if (!IsAppleDevice(request.device) || skadn.source_app.empty() || !ListsNetwork(skadn, network)) {
    return std::nullopt;
  }
  std::optional<SkadnVersion> best;
  for (const std::string& text : skadn.versions) {
    const std::optional<SkadnVersion> version = ParseSkadnVersion(text);
    if (!version || (best && *best >= *version)) continue;
    const bool has_id = *version == SkadnVersion::k4_0 ? campaign.skadn_source_identifier >= 0
                                                       : campaign.skadn_campaign > 0;
    if (has_id) best = version;
  }
  if (!best) return std::nullopt;
  SkadnAttribution out;
  out.version = *best;
  out.network = std::move(network);
  out.campaign_or_source = StrCat(*best == SkadnVersion::k4_0 ? campaign.skadn_source_identifier
                                                              : campaign.skadn_campaign);
  out.itunes_item = campaign.itunes_item;
  out.source_app = skadn.source_app;
  return out;
}

std::string SkadnSignedMessage(const SkadnAttribution& a, SkadnFidelity fidelity,
                               std::string_view nonce, std::string_view timestamp_ms) {
  const std::array<std::string_view, 8> fields = {
      SkadnVersionName(a.version),
      a.network,
      a.campaign_or_source,
      a.itunes_item,
      nonce,
      a.source_app,
      fidelity == SkadnFidelity::kViewThrough ? std::string_view("0") : std::string_view("1"),
      timestamp_ms};
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += kSeparator;
    out += fields[i];
  }
  return out;
}

}  // namespace vetrina::engine
