#include "adapters/sellers/sellers_json.h"

#include <simdjson.h>

#include "absl/strings/match.h"
#include "base/strings.h"

namespace vetrina::sellers {
namespace {

// Abseil here has its own string_view.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

absl::StatusOr<engine::SellersList> ParseSellersJson(std::string_view json, UploadReport* report) {
  UploadReport ignored;
  if (report == nullptr) report = &ignored;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("invalid JSON");
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("must be an object");
  }
  simdjson::dom::array list;
  if (obj["sellers"].get_array().get(list) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("/sellers: required, an array");
  }
  if (list.size() > kMaxSellers) {
    return absl::InvalidArgumentError(StrCat("/sellers: more than ", kMaxSellers, " entries"));
  }
  engine::SellersList out;
  size_t index = 0;
  for (simdjson::dom::element item : list) {
    const std::string at = StrCat("/sellers/", index++);
    simdjson::dom::object seller;
    if (item.get_object().get(seller) != simdjson::SUCCESS) {
      report->Skip(at, "must be an object");
      continue;
    }
    engine::SellerEntry entry;
    std::string_view s;
    int64_t number;
    simdjson::dom::element id;
    if (seller["seller_id"].get(id) != simdjson::SUCCESS) {
      report->Skip(at + "/seller_id", "required, a non-empty string");
      continue;
    }
    if (id.get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
      entry.seller_id = std::string(s);
    } else if (id.get_int64().get(number) == simdjson::SUCCESS) {
      // The spec says string; some systems write their numeric ids as numbers.
      entry.seller_id = StrCat(number);
    } else {
      report->Skip(at + "/seller_id", "required, a non-empty string");
      continue;
    }
    if (seller["seller_type"].get_string().get(s) != simdjson::SUCCESS) {
      report->Skip(at + "/seller_type", "required: PUBLISHER, INTERMEDIARY or BOTH");
      continue;
    }
    if (absl::EqualsIgnoreCase(Absl(s), "PUBLISHER")) {
      entry.type = engine::SellerType::kPublisher;
    } else if (absl::EqualsIgnoreCase(Absl(s), "INTERMEDIARY")) {
      entry.type = engine::SellerType::kIntermediary;
    } else if (absl::EqualsIgnoreCase(Absl(s), "BOTH")) {
      entry.type = engine::SellerType::kBoth;
    } else {
      report->Skip(at + "/seller_type", "must be PUBLISHER, INTERMEDIARY or BOTH");
      continue;
    }
    if (int64_t confidential;
        seller["is_confidential"].get_int64().get(confidential) == simdjson::SUCCESS) {
      entry.confidential = confidential == 1;
    }
    if (seller["name"].get_string().get(s) == simdjson::SUCCESS) entry.name = std::string(s);
    if (seller["domain"].get_string().get(s) == simdjson::SUCCESS) entry.domain = std::string(s);
    const std::string seller_id = entry.seller_id;
    if (!out.sellers.try_emplace(seller_id, std::move(entry)).second) {
      report->Skip(at + "/seller_id", "listed before: a seller id names one entity");
      continue;
    }
    ++report->accepted;
  }
  return out;
}

}  // namespace vetrina::sellers
