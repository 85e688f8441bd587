#include "engine/supply/authorised_supply.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace vetrina::engine {
namespace {

// Abseil here has its own string_view.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

const AppAdsRecord* FindRecord(const AppAdsTxt& file, std::string_view asi, std::string_view sid) {
  for (const AppAdsRecord& record : file.records) {
    if (record.seller_account_id == sid &&
        absl::EqualsIgnoreCase(Absl(record.ad_system_domain), Absl(asi))) {
      return &record;
    }
  }
  return nullptr;
}

bool Resells(SellerType type) { return type != SellerType::kPublisher; }
bool Owns(SellerType type) { return type != SellerType::kIntermediary; }

}  // namespace

std::string_view SupplyProblemName(SupplyProblem problem) {
  switch (problem) {
    case SupplyProblem::kNone:
      return "none";
    case SupplyProblem::kNoSupplyChain:
      return "no_supply_chain";
    case SupplyProblem::kIncomplete:
      return "incomplete";
    case SupplyProblem::kNoAppAdsTxt:
      return "no_app_ads_txt";
    case SupplyProblem::kNotInAppAdsTxt:
      return "not_in_app_ads_txt";
    case SupplyProblem::kNoSellersJson:
      return "no_sellers_json";
    case SupplyProblem::kNotInSellersJson:
      return "not_in_sellers_json";
    case SupplyProblem::kSellerTypeMismatch:
      return "seller_type_mismatch";
  }
  return "unknown";
}

SupplyVerdict DecideSupply(const BidRequest& request, const AuthorisedSellers& sellers) {
  if (!request.schain || request.schain->nodes.empty()) return {SupplyProblem::kNoSupplyChain};
  const SupplyChain& chain = *request.schain;
  if (!chain.complete) return {SupplyProblem::kIncomplete};
  auto app = sellers.app_ads.find(request.publication.app());
  if (request.publication.app().empty() || app == sellers.app_ads.end()) {
    return {SupplyProblem::kNoAppAdsTxt};
  }
  const AppAdsRecord* listed = FindRecord(*app->second, chain.nodes[0].asi, chain.nodes[0].sid);
  if (listed == nullptr) return {SupplyProblem::kNotInAppAdsTxt, 0};
  for (size_t i = 0; i < chain.nodes.size(); ++i) {
    const SupplyChainNode& node = chain.nodes[i];
    // `asi` is lower-cased by the parser, as are the uploads' keys.
    auto system = sellers.sellers.find(node.asi);
    if (system == sellers.sellers.end()) return {SupplyProblem::kNoSellersJson, i};
    auto seller = system->second->sellers.find(node.sid);
    if (seller == system->second->sellers.end()) return {SupplyProblem::kNotInSellersJson, i};
    const SellerType type = seller->second.type;
    const bool agrees = i > 0                                                 ? Resells(type)
                        : listed->relationship == SellerRelationship::kDirect ? Owns(type)
                                                                              : Resells(type);
    if (!agrees) return {SupplyProblem::kSellerTypeMismatch, i};
  }
  return {};
}

}  // namespace vetrina::engine
