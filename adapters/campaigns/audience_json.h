// Reads an audience definition (PUT /v1/audiences/{id}) and reports every problem with its JSON
// pointer, like campaign uploads:
//
//   {"name": "Cart abandoners", "kind": "pixel", "ttl_days": 30,
//    "rule": {"events": ["add_to_cart"], "recency_days": 7, "exclude_events": ["purchase"],
//             "conditions": [{"param": "value", "op": ">=", "value": 50},
//                            {"param": "content_id", "op": "in", "values": ["sku-1"]}]}}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/campaigns/campaign_json.h"
#include "engine/audience/audience.h"

namespace vetrina::campaigns {

// `id` and `advertiser` come from the URL and the caller; the segment is assigned on store.
absl::StatusOr<engine::Audience> ParseAudience(std::string_view json, const std::string& id,
                                               const std::string& advertiser,
                                               std::vector<Problem>* problems = nullptr);

// Event names: ^[A-Za-z0-9_.-]{1,64}$.
bool IsValidEventName(std::string_view name);

}  // namespace vetrina::campaigns
