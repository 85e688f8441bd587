#include "adapters/sellers/sellers_json.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace vetrina::sellers {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(VETRINA_FIXTURES_DIR) + "/sellers/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("ParseSellersJson: the sellers.json 1.0 sample file") {
  UploadReport report;
  absl::StatusOr<engine::SellersList> list =
      ParseSellersJson(Fixture("sellers-json-spec-sample.json"), &report);
  REQUIRE(list.ok());
  CHECK(list->sellers.size() == 8);
  CHECK(report.accepted == 8);
  CHECK(report.skipped == 0);
  const engine::SellerEntry& publisher = list->sellers.at("1942009976");
  CHECK(publisher.type == engine::SellerType::kPublisher);
  CHECK(publisher.name == "Publisher1");
  CHECK(publisher.domain == "publisher1.com");
  CHECK(list->sellers.at("1397382429").type == engine::SellerType::kIntermediary);
  CHECK(list->sellers.at("101010101").type == engine::SellerType::kBoth);
  const engine::SellerEntry& confidential = list->sellers.at("00000001");
  CHECK(confidential.confidential);
  CHECK(confidential.name.empty());
}

TEST_CASE("ParseSellersJson: the sample as published is not JSON (a typographic quote)") {
  CHECK(ParseSellersJson(Fixture("sellers-json-spec-sample-as-published.json"), nullptr)
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ParseSellersJson: documents refused whole") {
  for (const char* json : {"", "[]", "{}", R"({"sellers": {}})", "{\"sellers\": [}"}) {
    INFO(json);
    CHECK(ParseSellersJson(json, nullptr).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ParseSellersJson: entries skipped and reported by JSON pointer") {
  struct Row {
    const char* rule;
    const char* entry;
    const char* at;  // nullptr: kept
  };
  const Row rows[] = {
      {"sellers.json 1.0 Seller: seller_type is case-insensitive",
       R"({"seller_id": "s", "seller_type": "publisher"})", nullptr},
      {"a numeric seller_id is read as its decimal text",
       R"({"seller_id": 42, "seller_type": "BOTH"})", nullptr},
      {"sellers.json 1.0 Seller: seller_id is required", R"({"seller_type": "PUBLISHER"})",
       "/sellers/1/seller_id"},
      {"sellers.json 1.0 Seller: seller_id is a string",
       R"({"seller_id": "", "seller_type": "BOTH"})", "/sellers/1/seller_id"},
      {"sellers.json 1.0 Seller: seller_type is required", R"({"seller_id": "s"})",
       "/sellers/1/seller_type"},
      {"sellers.json 1.0 Seller: seller_type is one of three",
       R"({"seller_id": "s", "seller_type": "AGENCY"})", "/sellers/1/seller_type"},
      {"a seller is an object", R"("s")", "/sellers/1"},
      {"sellers.json 1.0 Seller: a seller_id names one entity",
       R"({"seller_id": "first", "seller_type": "BOTH"})", "/sellers/1/seller_id"},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    UploadReport report;
    const std::string json =
        std::string(R"({"sellers": [{"seller_id": "first", "seller_type": "PUBLISHER"}, )") +
        row.entry + "]}";
    absl::StatusOr<engine::SellersList> list = ParseSellersJson(json, &report);
    REQUIRE(list.ok());
    if (row.at == nullptr) {
      CHECK(report.skipped == 0);
      CHECK(list->sellers.size() == 2);
    } else {
      CHECK(report.skipped == 1);
      CHECK(list->sellers.size() == 1);
      REQUIRE(report.problems.size() == 1);
      CHECK(report.problems[0].at == row.at);
    }
  }
  UploadReport report;
  REQUIRE(
      ParseSellersJson(R"({"sellers": [{"seller_id": 42, "seller_type": "BOTH"}]})", &report).ok());
}

}  // namespace
}  // namespace vetrina::sellers
