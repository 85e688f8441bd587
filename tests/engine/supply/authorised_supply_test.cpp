#include "engine/supply/authorised_supply.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace vetrina::engine {
namespace {

using Node = std::pair<std::string, std::string>;  // asi, sid

// The SupplyChain 1.0 examples (tests/fixtures/sellers): directseller.com's publisher 00001,
// resold by reseller.com as aaaaa. The app lists both accounts; each system lists its seller.
AuthorisedSellers Uploads() {
  AuthorisedSellers s;
  auto app = std::make_shared<AppAdsTxt>();
  app->records = {{"directseller.com", "00001", SellerRelationship::kDirect, ""},
                  {"reseller.com", "aaaaa", SellerRelationship::kReseller, ""},
                  {"resoldfirst.com", "r-1", SellerRelationship::kReseller, ""}};
  s.app_ads["com.example.app"] = app;
  auto direct = std::make_shared<SellersList>();
  direct->sellers["00001"] = {"00001", SellerType::kPublisher, false, "Publisher", "example.com"};
  direct->sellers["intermediary-9"] = {"intermediary-9", SellerType::kIntermediary, true, "", ""};
  s.sellers["directseller.com"] = direct;
  auto reseller = std::make_shared<SellersList>();
  reseller->sellers["aaaaa"] = {"aaaaa", SellerType::kIntermediary, false, "Reseller", "r.com"};
  reseller->sellers["both-1"] = {"both-1", SellerType::kBoth, false, "Hybrid", "h.com"};
  reseller->sellers["pub-2"] = {"pub-2", SellerType::kPublisher, false, "Other", "o.com"};
  s.sellers["reseller.com"] = reseller;
  auto resold = std::make_shared<SellersList>();
  resold->sellers["r-1"] = {"r-1", SellerType::kIntermediary, false, "Resold", "rf.com"};
  s.sellers["resoldfirst.com"] = resold;
  return s;
}

BidRequest Request(std::string bundle, bool complete, std::vector<Node> nodes,
                   bool with_schain = true) {
  BidRequest r;
  r.publication.channel = DistributionChannel::kApp;
  r.publication.bundle = std::move(bundle);
  if (with_schain) {
    SupplyChain& chain = r.schain.emplace();
    chain.complete = complete;
    chain.version = "1.0";
    for (auto& [asi, sid] : nodes) {
      SupplyChainNode& node = chain.nodes.emplace_back();
      node.asi = asi;
      node.sid = sid;
      node.hp = 1;
    }
  }
  return r;
}

TEST_CASE("DecideSupply: the authorised-supply rule, both sides") {
  const AuthorisedSellers uploads = Uploads();
  struct Row {
    const char* rule;
    BidRequest request;
    SupplyProblem problem;
    size_t node;
  };
  const std::vector<Row> rows = {
      {"SupplyChain 1.0 example BidRequest1: one DIRECT node, listed on both sides",
       Request("com.example.app", true, {{"directseller.com", "00001"}}), SupplyProblem::kNone, 0},
      {"SupplyChain 1.0 example BidRequest2: the resale adds an INTERMEDIARY node",
       Request("com.example.app", true, {{"directseller.com", "00001"}, {"reseller.com", "aaaaa"}}),
       SupplyProblem::kNone, 0},
      {"a later node may be BOTH (sellers.json 1.0 seller_type)",
       Request("com.example.app", true,
               {{"directseller.com", "00001"}, {"reseller.com", "both-1"}}),
       SupplyProblem::kNone, 0},
      {"a first node listed RESELLER in app-ads.txt is an INTERMEDIARY",
       Request("com.example.app", true, {{"resoldfirst.com", "r-1"}}), SupplyProblem::kNone, 0},
      {"rule 1: no schain", Request("com.example.app", true, {}, false),
       SupplyProblem::kNoSupplyChain, 0},
      {"rule 1: an schain without nodes", Request("com.example.app", true, {}),
       SupplyProblem::kNoSupplyChain, 0},
      {"rule 1: SupplyChain 1.0 example BidRequest4, complete = 0",
       Request("com.example.app", false, {{"reseller.com", "aaaaa"}}), SupplyProblem::kIncomplete,
       0},
      {"rule 2: no app-ads.txt uploaded for the app",
       Request("com.other.app", true, {{"directseller.com", "00001"}}), SupplyProblem::kNoAppAdsTxt,
       0},
      {"rule 2: a request without an app or site key",
       Request("", true, {{"directseller.com", "00001"}}), SupplyProblem::kNoAppAdsTxt, 0},
      {"rule 3: the first node's account is not in app-ads.txt",
       Request("com.example.app", true, {{"directseller.com", "99999"}}),
       SupplyProblem::kNotInAppAdsTxt, 0},
      {"rule 3: app-ads.txt lists the account on another system",
       Request("com.example.app", true, {{"reseller.com", "00001"}}),
       SupplyProblem::kNotInAppAdsTxt, 0},
      {"rule 3: account ids match exactly (ads.txt 1.1 field #2)",
       Request("com.example.app", true, {{"reseller.com", "AAAAA"}}),
       SupplyProblem::kNotInAppAdsTxt, 0},
      {"rule 4: a node on a system with no sellers.json uploaded",
       Request("com.example.app", true,
               {{"directseller.com", "00001"}, {"unknownexchange.com", "x"}}),
       SupplyProblem::kNoSellersJson, 1},
      {"rule 4: a node whose sid is not in its system's sellers.json",
       Request("com.example.app", true, {{"directseller.com", "00001"}, {"reseller.com", "zzz"}}),
       SupplyProblem::kNotInSellersJson, 1},
      {"rule 5: a later node whose seller is a PUBLISHER does not resell",
       Request("com.example.app", true, {{"directseller.com", "00001"}, {"reseller.com", "pub-2"}}),
       SupplyProblem::kSellerTypeMismatch, 1},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    const SupplyVerdict v = DecideSupply(row.request, uploads);
    CHECK(SupplyProblemName(v.problem) == SupplyProblemName(row.problem));
    CHECK(v.authorised() == (row.problem == SupplyProblem::kNone));
    if (row.problem != SupplyProblem::kNone) CHECK(v.node == row.node);
  }
}

TEST_CASE("DecideSupply: rule 5, a DIRECT record whose seller is an INTERMEDIARY") {
  AuthorisedSellers uploads = Uploads();
  auto direct = std::make_shared<SellersList>(*uploads.sellers["directseller.com"]);
  direct->sellers["00001"].type = SellerType::kIntermediary;
  uploads.sellers["directseller.com"] = direct;
  const SupplyVerdict v =
      DecideSupply(Request("com.example.app", true, {{"directseller.com", "00001"}}), uploads);
  CHECK(v.problem == SupplyProblem::kSellerTypeMismatch);
  CHECK(v.node == 0);
}

TEST_CASE("DecideSupply: rule 5, a RESELLER record whose seller is a PUBLISHER") {
  AuthorisedSellers uploads = Uploads();
  auto resold = std::make_shared<SellersList>(*uploads.sellers["resoldfirst.com"]);
  resold->sellers["r-1"].type = SellerType::kPublisher;
  uploads.sellers["resoldfirst.com"] = resold;
  const SupplyVerdict v =
      DecideSupply(Request("com.example.app", true, {{"resoldfirst.com", "r-1"}}), uploads);
  CHECK(v.problem == SupplyProblem::kSellerTypeMismatch);
}

TEST_CASE("DecideSupply: app-ads.txt domains compare case-insensitively") {
  AuthorisedSellers uploads = Uploads();
  auto app = std::make_shared<AppAdsTxt>(*uploads.app_ads["com.example.app"]);
  app->records[0].ad_system_domain = "DirectSeller.com";
  uploads.app_ads["com.example.app"] = app;
  CHECK(DecideSupply(Request("com.example.app", true, {{"directseller.com", "00001"}}), uploads)
            .authorised());
}

TEST_CASE("DecideSupply: a site request is keyed by its domain") {
  AuthorisedSellers uploads = Uploads();
  const std::shared_ptr<const AppAdsTxt> app = uploads.app_ads.at("com.example.app");
  uploads.app_ads["example.com"] = app;
  BidRequest r = Request("", true, {{"directseller.com", "00001"}});
  r.publication.channel = DistributionChannel::kSite;
  r.publication.domain = "example.com";
  CHECK(DecideSupply(r, uploads).authorised());
}

}  // namespace
}  // namespace vetrina::engine
