// SKAdNetwork attribution for StoreKit-rendered and view-through ads (Apple's "Generating the
// signature to validate StoreKit-rendered ads", the IAB Tech Lab OpenRTB extension
// `imp.ext.skadn` / `bid.ext.skadn`): whether a winning campaign answers with signed
// SKAdNetwork parameters, in which version, and the exact message that is signed.
//
//   if (auto attribution = DecideSkadn(request, imp, campaign, "abcd1234.skadnetwork")) {
//     std::string message = SkadnSignedMessage(*attribution, SkadnFidelity::kStoreKitRendered,
//                                              nonce, timestamp_ms);
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"

namespace vetrina::engine {

// The versions we sign, oldest first; each request gets the highest one both sides support.
enum class SkadnVersion : uint8_t { k2_2, k3_0, k4_0 };
std::string_view SkadnVersionName(SkadnVersion version);  // "2.2", "3.0", "4.0"

// Apple's fidelity-type: 0 view-through (any ad format), 1 StoreKit-rendered.
enum class SkadnFidelity : uint8_t { kViewThrough = 0, kStoreKitRendered = 1 };

struct SkadnAttribution {
  SkadnVersion version = SkadnVersion::k2_2;
  std::string network;  // our SKAdNetwork id, lower-cased
  // The campaign id (2.2, 3.0) or, in 4.0, the source identifier, as decimal text.
  std::string campaign_or_source;
  std::string itunes_item;  // the advertised app
  std::string source_app;   // the publisher app
  bool source_identifier() const { return version == SkadnVersion::k4_0; }
};

// The attribution `campaign` answers for `imp`, or nullopt: only for an iOS/iPadOS device, an
// imp whose `ext.skadn` lists `our_network_id` (case-insensitively) and names its source app,
// a campaign with an App Store id, and a version both sides support for which the campaign has
// its identifier (a campaign id for 2.2 and 3.0, a source identifier for 4.0). An empty
// `our_network_id` answers nothing.
std::optional<SkadnAttribution> DecideSkadn(const BidRequest& request, const Imp& imp,
                                            const Campaign& campaign,
                                            std::string_view our_network_id);

// The UTF-8 message Apple verifies, fields joined by U+2063 (INVISIBLE SEPARATOR) in Apple's
// order: version, ad-network-id, campaign-id (source-identifier in 4.0), itunes-item-id, nonce
// (a lower-case UUID), source-app-id, fidelity-type, timestamp (Unix milliseconds).
std::string SkadnSignedMessage(const SkadnAttribution& attribution, SkadnFidelity fidelity,
                               std::string_view nonce, std::string_view timestamp_ms);

}  // namespace vetrina::engine
