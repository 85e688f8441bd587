// Authorised supply: whether a request's SupplyChain shows that everyone who sold the impression
// was authorised to, by the app's app-ads.txt and each advertising system's sellers.json, as the
// network's operators uploaded them. A pure decision, made once per request; campaigns that
// require authorised supply bid only when it holds.
//
// The rule (IAB Tech Lab SupplyChain 1.0, ads.txt 1.1 / app-ads.txt 1.0, sellers.json 1.0):
//   1. The request carries a SupplyChain with `complete` = 1 and at least one node.
//   2. An app-ads.txt is uploaded for the request's app (its bundle, else its site domain).
//   3. The first node is the publisher's own seller account: the app-ads.txt lists its
//      (`asi`, `sid`) as (domain, account id), the domain compared case-insensitively, the id
//      exactly.
//   4. Every node's `asi` has an uploaded sellers.json that lists the node's `sid` as a
//      `seller_id`.
//   5. The types agree: the first node's seller is PUBLISHER or BOTH when app-ads.txt says
//      DIRECT, INTERMEDIARY or BOTH when it says RESELLER; every later node resells inventory it
//      does not own, so its seller is INTERMEDIARY or BOTH.
// Anything else is unauthorised; the verdict names the first rule broken and the node.
//
//   SupplyVerdict v = DecideSupply(request, market.authorised_sellers);
//   if (!v.authorised()) -> campaigns with require_authorised_supply get kUnauthorisedSupply
#pragma once

#include <cstddef>
#include <string_view>

#include "engine/core/authorised_sellers.h"
#include "engine/core/bid_request.h"

namespace vetrina::engine {

enum class SupplyProblem : uint8_t {
  kNone = 0,            // authorised
  kNoSupplyChain,       // rule 1: no `schain`, or one without nodes
  kIncomplete,          // rule 1: `complete` is not 1
  kNoAppAdsTxt,         // rule 2: nothing uploaded for the app
  kNotInAppAdsTxt,      // rule 3: the first node's account is not listed
  kNoSellersJson,       // rule 4: nothing uploaded for the node's advertising system
  kNotInSellersJson,    // rule 4: the node's seller id is not listed
  kSellerTypeMismatch,  // rule 5
};

std::string_view SupplyProblemName(SupplyProblem problem);

struct SupplyVerdict {
  SupplyProblem problem = SupplyProblem::kNone;
  size_t node = 0;  // the node the problem is about (rules 3 to 5)
  bool authorised() const { return problem == SupplyProblem::kNone; }
};

SupplyVerdict DecideSupply(const BidRequest& request, const AuthorisedSellers& sellers);

}  // namespace vetrina::engine
