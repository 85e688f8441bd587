#include "engine/privacy/political_ads.h"

#include <algorithm>
#include <array>

#include "engine/privacy/dsa.h"

namespace vetrina::engine {
namespace {

// The 27 member states and Iceland, Liechtenstein and Norway, sorted. The EEA states are
// included because the regulation is marked as of EEA relevance: blocking there too is the safe
// side.
constexpr std::array<std::string_view, 30> kEuEea = {
    "AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN",
    "FRA", "GRC", "HRV", "HUN", "IRL", "ISL", "ITA", "LIE", "LTU", "LUX",
    "LVA", "MLT", "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "SWE",
};

}  // namespace

bool IsEuOrEeaCountry(std::string_view country) {
  return std::binary_search(kEuEea.begin(), kEuEea.end(), country);
}

bool EuRulesApply(const BidRequest& request) {
  if (request.regs.gdpr == 1) return true;
  if (request.regs.dsa && request.regs.dsa->required >= kDsaSupported) return true;
  return IsEuOrEeaCountry(request.device.country);
}

NoBidReason CheckPoliticalAd(const Campaign& campaign, const BidRequest& request) {
  if (!campaign.political || !EuRulesApply(request)) return NoBidReason::kNone;
  if (!campaign.political_transparency || !campaign.targeting.audiences.IsAny()) {
    return NoBidReason::kPoliticalAdEu;
  }
  return NoBidReason::kNone;
}

}  // namespace vetrina::engine
