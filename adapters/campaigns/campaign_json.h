// Reads a campaign from its JSON form (schemas/campaign.schema.json) into an engine::Campaign,
// checking every rule of the schema and reporting every problem with its JSON pointer, the way
// the admin API answers a bad upload:
//
//   absl::StatusOr<engine::Campaign> c = ParseCampaign(json);
//   // InvalidArgument, message: "/creatives/0/w: must be > 0\n/bid/currency: must be USD"
//
// An unknown field names the field it likely meant (`/bugdet: unknown field "bugdet"; did you
// mean "budget"?`), and malformed JSON the line and column where it goes wrong.
//
// Off the bid path: uses simdjson's DOM API, one parse per upload.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/ids.h"
#include "engine/core/campaign.h"

namespace vetrina::campaigns {

struct Problem {
  std::string pointer;  // RFC 6901 JSON pointer, "" for the document itself
  std::string message;
};

// Parses and validates one campaign. On failure the status message lists every problem, one
// "pointer: message" per line; `problems`, when given, receives them too.
absl::StatusOr<engine::Campaign> ParseCampaign(std::string_view json,
                                               std::vector<Problem>* problems = nullptr);

struct ParsedCampaign {
  engine::Campaign campaign;
  std::string json;  // the campaign's own JSON text (minified when it came in a batch)
};

// A file or request body of campaigns: one campaign object, or a batch, a JSON array of them as
// `POST /v1/campaigns:batch` takes.
struct CampaignDocument {
  bool batch = false;
  std::vector<ParsedCampaign> campaigns;
};

// Parses and validates a document of campaigns. In a batch every problem's pointer starts with
// its campaign's index ("/3/creatives/0/w"), and campaign ids must be unique. A JSON syntax error
// names its line and column. On failure the status lists every problem, as ParseCampaign does.
absl::StatusOr<CampaignDocument> ParseCampaignDocument(std::string_view json,
                                                       std::vector<Problem>* problems = nullptr);

struct CampaignFile {
  std::string path;
  std::string json;  // the file's text
  engine::Campaign campaign;
};

// Reads every `*.json` file in `dir` (sorted by name) as a campaign. Fails on the first bad file,
// naming it and its problems.
absl::StatusOr<std::vector<CampaignFile>> LoadCampaignFiles(const std::string& dir);
// The same, keeping only the campaigns.
absl::StatusOr<std::vector<engine::Campaign>> LoadCampaignDirectory(const std::string& dir);

}  // namespace vetrina::campaigns
