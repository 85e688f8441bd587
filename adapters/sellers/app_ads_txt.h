// app-ads.txt (IAB Tech Lab app-ads.txt 1.0, which uses the ads.txt 1.1 format) to
// engine::AppAdsTxt. Lines end in LF or CRLF; `#` starts a comment; a data record is
// `domain, account id, DIRECT|RESELLER[, certification authority id][; extension]`; a variable is
// `NAME=value` (OWNERDOMAIN and MANAGERDOMAIN are kept, CONTACT, SUBDOMAIN,
// INVENTORYPARTNERDOMAIN and unknown ones are read and ignored). A line that is neither is
// skipped and reported with its number.
//
//   sellers::UploadReport report;
//   absl::StatusOr<engine::AppAdsTxt> file = sellers::ParseAppAdsTxt(text, &report);
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "adapters/sellers/upload_report.h"
#include "engine/core/authorised_sellers.h"

namespace vetrina::sellers {

// InvalidArgument only for what is not a text file at all (a NUL byte) or one larger than we
// keep (more than kMaxAppAdsRecords records); bad lines go to `report`, which may be null.
inline constexpr size_t kMaxAppAdsRecords = 100'000;
absl::StatusOr<engine::AppAdsTxt> ParseAppAdsTxt(std::string_view text, UploadReport* report);

// An app key (bundle or site domain) or an advertising system's domain we store uploads under:
// 1 to 255 bytes of letters, digits, '.', '-' and '_', not starting with '.'.
bool IsValidSellersKey(std::string_view key);

}  // namespace vetrina::sellers
