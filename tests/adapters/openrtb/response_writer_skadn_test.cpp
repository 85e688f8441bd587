#include <simdjson.h>

#include <catch2/catch.hpp>

#include "../../support/files.h"
#include "adapters/openrtb/response_writer.h"

namespace vetrina::openrtb {
namespace {

constexpr char kOurs[] = "example123.skadnetwork";

class FixedNonces final : public skadn::NonceSource {
 public:
  std::string NextUuid() override {
    uint8_t bytes[16] = {};
    bytes[0] = static_cast<uint8_t>(++count_);
    return skadn::UuidV4FromBytes(bytes);
  }

 private:
  int count_ = 0;
};

struct World {
  ManualClock clock{absl::FromUnixMillis(1'800'000'000'250)};
  FixedNonces nonces;
  skadn::Signing signing{
      kOurs,
      std::move(*skadn::Signer::FromPem(vetrina::testing::Fixture("skadnetwork/test-key.pem"))),
      clock, nonces};
  engine::Campaign campaign;
  engine::BidRequest request;
  engine::AuctionResult result;

  World() {
    campaign.id = "c1";
    campaign.itunes_item = "123456789";
    campaign.skadn_campaign = 45;
    campaign.skadn_source_identifier = 4321;
    engine::Creative creative;
    creative.id = "cr1";
    creative.size = {320, 50};
    creative.markup = "<img>";
    campaign.creatives.push_back(creative);
    request.id = "r1";
    request.device.os = "ios";
    engine::Imp& imp = request.imps.emplace_back();
    imp.id = "1";
    imp.banner.emplace();
    imp.skadn = engine::SkadnRequest{
        .versions = {"2.2", "3.0", "4.0"}, .source_app = "880047117", .network_ids = {kOurs}};
    result.bids.push_back(engine::Bid{
        .imp_index = 0,
        .campaign = &campaign,
        .match = {&campaign.creatives[0], engine::MediaType::kBanner, {320, 50}},
        .max_price = 2'000'000,
        .clearing_price = 1'000'000,
        .price_in_currency = 1'000'000,
    });
    result.imp_reasons = {engine::NoBidReason::kNone};
  }

  std::string Write(const skadn::Signing* skadn) {
    std::string out;
    WriteBidResponse(request, result, "resp", {{"b-1", "T", "A"}},
                     {.notice_base_url = "https://bid.example", .skadn = skadn}, &out);
    return out;
  }
};

TEST_CASE("bid.ext.skadn: the IAB extension's fields, both fidelities signed") {
  World w;
  const std::string out = w.Write(&w.signing);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  simdjson::dom::element s;
  REQUIRE(doc["seatbid"].at(0)["bid"].at(0)["ext"]["skadn"].get(s) == simdjson::SUCCESS);
  CHECK(std::string_view(s["version"]) == "4.0");
  CHECK(std::string_view(s["network"]) == kOurs);
  CHECK(std::string_view(s["sourceidentifier"]) == "4321");
  CHECK(s["campaign"].error() == simdjson::NO_SUCH_FIELD);  // 4.0 replaces it
  CHECK(std::string_view(s["itunesitem"]) == "123456789");
  CHECK(std::string_view(s["sourceapp"]) == "880047117");
  simdjson::dom::array fidelities = s["fidelities"];
  REQUIRE(fidelities.size() == 2);
  CHECK(int64_t(fidelities.at(0)["fidelity"]) == 0);
  CHECK(int64_t(fidelities.at(1)["fidelity"]) == 1);
  CHECK(std::string_view(fidelities.at(0)["nonce"]) == "01000000-0000-4000-8000-000000000000");
  CHECK(std::string_view(fidelities.at(1)["nonce"]) == "02000000-0000-4000-8000-000000000000");
  CHECK(std::string_view(fidelities.at(1)["timestamp"]) == "1800000000250");
  // The top level repeats the StoreKit-rendered entry, for readers of the 2.0 layout.
  CHECK(std::string_view(s["nonce"]) == std::string_view(fidelities.at(1)["nonce"]));
  CHECK(std::string_view(s["signature"]) == std::string_view(fidelities.at(1)["signature"]));
  CHECK(std::string_view(s["timestamp"]) == "1800000000250");

  w.campaign.skadn_source_identifier = -1;  // 3.0 then, with the campaign id
  const std::string v3 = w.Write(&w.signing);
  REQUIRE(parser.parse(v3).get(doc) == simdjson::SUCCESS);
  s = doc["seatbid"].at(0)["bid"].at(0)["ext"]["skadn"];
  CHECK(std::string_view(s["version"]) == "3.0");
  CHECK(std::string_view(s["campaign"]) == "45");
}

TEST_CASE("no bid.ext.skadn without a key, for a campaign without an App Store id, off iOS") {
  World w;
  CHECK(w.Write(nullptr).find("skadn") == std::string::npos);
  World other_os;
  other_os.request.device.os = "android";
  CHECK(other_os.Write(&other_os.signing).find("skadn") == std::string::npos);
  World not_listed;
  not_listed.request.imps[0].skadn->network_ids = {"cdkw7geqsh.skadnetwork"};
  CHECK(not_listed.Write(&not_listed.signing).find("\"skadn\"") == std::string::npos);
  World no_app;
  no_app.campaign.itunes_item.clear();
  CHECK(no_app.Write(&no_app.signing).find("skadn") == std::string::npos);
}

}  // namespace
}  // namespace vetrina::openrtb
