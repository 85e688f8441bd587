// sellers.json (IAB Tech Lab sellers.json 1.0) to engine::SellersList: the `sellers` array's
// `seller_id`, `seller_type` (PUBLISHER, INTERMEDIARY or BOTH, case-insensitive),
// `is_confidential`, `name` and `domain`. A seller entry that lacks a usable id or type, or
// repeats an id already listed, is skipped and reported by its JSON pointer.
//
//   sellers::UploadReport report;
//   absl::StatusOr<engine::SellersList> list = sellers::ParseSellersJson(json, &report);
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "adapters/sellers/upload_report.h"
#include "engine/core/authorised_sellers.h"

namespace vetrina::sellers {

inline constexpr size_t kMaxSellers = 2'000'000;
// InvalidArgument when the document is not JSON, not an object, has no `sellers` array or more
// than kMaxSellers entries; bad entries go to `report`, which may be null.
absl::StatusOr<engine::SellersList> ParseSellersJson(std::string_view json, UploadReport* report);

}  // namespace vetrina::sellers
