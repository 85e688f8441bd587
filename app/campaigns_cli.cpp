#include "app/campaigns_cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "adapters/campaigns/campaign_json.h"
#include "adapters/http/client.h"
#include "base/strings.h"

namespace vetrina::app {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  vetrina campaigns validate FILE...\n"
    "  vetrina campaigns push FILE... --admin http://HOST:PORT --token TOKEN\n";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

// Validates one file; prints its verdict. Returns the parsed campaign id when valid.
std::optional<std::string> Validate(const std::string& path, std::string* json) {
  if (!ReadFile(path, json)) {
    std::printf("INVALID %s\n  cannot read the file\n", path.c_str());
    return std::nullopt;
  }
  std::vector<campaigns::Problem> problems;
  absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(*json, &problems);
  if (!campaign.ok()) {
    std::printf("INVALID %s\n", path.c_str());
    for (const campaigns::Problem& p : problems) {
      std::printf("  %s: %s\n", p.pointer.c_str(), p.message.c_str());
    }
    return std::nullopt;
  }
  std::printf("OK %s\n", path.c_str());
  return campaign->id;
}

}  // namespace

int RunCampaignsCommand(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "validate" && args[0] != "push")) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const bool push = args[0] == "push";
  std::vector<std::string> files;
  std::string admin, token;
  for (size_t i = 1; i < args.size(); ++i) {
    if (push && (args[i] == "--admin" || args[i] == "--token") && i + 1 < args.size()) {
      (args[i] == "--admin" ? admin : token) = args[i + 1];
      ++i;
    } else if (args[i].rfind("--", 0) == 0) {
      std::fprintf(stderr, "vetrina: unknown flag %s\n%s", args[i].c_str(), kUsage);
      return 2;
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.empty() || (push && (admin.empty() || token.empty()))) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  int failures = 0;
  for (const std::string& file : files) {
    std::string json;
    std::optional<std::string> id = Validate(file, &json);
    if (!id) {
      ++failures;
      continue;
    }
    if (!push) continue;
    absl::StatusOr<http::ClientResponse> r = http::HttpCall(
        "PUT", StrCat(admin, "/v1/campaigns/", *id),
        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, json);
    if (!r.ok()) {
      std::printf("FAILED %s\n  %s\n", file.c_str(), r.status().ToString().c_str());
      ++failures;
    } else if (r->status != 200 && r->status != 201) {
      std::printf("REJECTED %s (%d)\n  %s\n", file.c_str(), r->status, r->body.c_str());
      ++failures;
    } else {
      std::printf("PUSHED %s (%d)\n", file.c_str(), r->status);
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace vetrina::app
