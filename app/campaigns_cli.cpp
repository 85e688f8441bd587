#include "app/campaigns_cli.h"

#include <cstdio>

#include "adapters/campaigns/campaign_json.h"
#include "adapters/http/client.h"
#include "base/did_you_mean.h"
#include "base/strings.h"

namespace vetrina::app {
namespace {

constexpr char kValidateHelp[] =
    "usage: vetrina campaigns validate FILE...\n"
    "\n"
    "Checks each FILE as the admin API would, offline: one campaign object, or a batch (a JSON\n"
    "array of campaigns). Prints OK or INVALID per file, then each problem by JSON pointer\n"
    "(/3/creatives/0/w in a batch). Exit 0 when every file is valid, 1 otherwise.\n"
    "\n"
    "options:\n"
    "  --help  this help\n";

constexpr char kPushHelp[] =
    "usage: vetrina campaigns push FILE... --admin URL [--token TOKEN | --token-file FILE]\n"
    "\n"
    "Validates each FILE, then uploads it: a campaign with PUT /v1/campaigns/{id}, a batch with\n"
    "POST /v1/campaigns:batch. Exit 0 when every file is stored, 1 otherwise.\n"
    "The token is --token, else the VETRINA_TOKEN variable, else the first line of --token-file;\n"
    "it is never printed.\n"
    "\n"
    "options:\n"
    "  --admin URL        the admin listener, http://HOST:PORT (required)\n"
    "  --token TOKEN      the admin or advertiser bearer token (env VETRINA_TOKEN)\n"
    "  --token-file FILE  a file whose first line is the token, e.g. DATA_DIR/admin.token\n"
    "  --help             this help\n";

struct PushTarget {
  std::string admin;
  std::string token;
};

// Validates one file; prints its verdict. Returns its campaigns when valid.
std::optional<campaigns::CampaignDocument> Validate(const std::string& path, std::string* json) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) {
    std::printf("INVALID %s\n  cannot read the file\n", path.c_str());
    return std::nullopt;
  }
  *json = *std::move(text);
  std::vector<campaigns::Problem> problems;
  absl::StatusOr<campaigns::CampaignDocument> document =
      campaigns::ParseCampaignDocument(*json, &problems);
  if (!document.ok()) {
    std::printf("INVALID %s\n", path.c_str());
    for (const campaigns::Problem& p : problems) {
      std::printf("  %s: %s\n", p.pointer.c_str(), p.message.c_str());
    }
    return std::nullopt;
  }
  std::printf("OK %s\n", path.c_str());
  if (document->batch) std::printf("  a batch of %zu campaigns\n", document->campaigns.size());
  return *std::move(document);
}

bool Push(const std::string& path, const std::string& json,
          const campaigns::CampaignDocument& document, const PushTarget& target) {
  const std::string url = document.batch ? StrCat(target.admin, "/v1/campaigns:batch")
                                         : StrCat(target.admin, "/v1/campaigns/",
                                                  document.campaigns.front().campaign.id);
  absl::StatusOr<http::ClientResponse> r = http::HttpCall(
      document.batch ? "POST" : "PUT", url,
      {{"Authorization", "Bearer " + target.token}, {"Content-Type", "application/json"}}, json);
  if (!r.ok()) {
    std::printf("FAILED %s\n  %s\n", path.c_str(), r.status().ToString().c_str());
    return false;
  }
  if (r->status != 200 && r->status != 201) {
    std::printf("REJECTED %s (%d)\n  %s\n", path.c_str(), r->status, r->body.c_str());
    return false;
  }
  std::printf("PUSHED %s (%d)\n", path.c_str(), r->status);
  return true;
}

int UsageError(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "vetrina campaigns %.*s: %.*s (see vetrina campaigns %.*s --help)\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(message.size()),
               message.data(), static_cast<int>(command.size()), command.data());
  return 2;
}

}  // namespace

std::string CampaignsHelp() { return StrCat(kValidateHelp, "\n", kPushHelp); }

int RunCampaignsCommand(const std::vector<std::string>& args, const Environment& env) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(CampaignsHelp().c_str(), stdout);
    return 0;
  }
  if (args.empty() || (args[0] != "validate" && args[0] != "push")) {
    std::string message = args.empty() ? "vetrina campaigns: which one, validate or push?"
                                       : StrCat("vetrina campaigns: unknown command ", args[0]);
    if (!args.empty()) {
      const std::vector<std::string_view> commands = {"validate", "push"};
      if (std::optional<std::string_view> hint = DidYouMean(args[0], commands)) {
        StrAppend(&message, "; did you mean ", *hint, "?");
      }
    }
    std::fprintf(stderr, "%s (see vetrina campaigns --help)\n", message.c_str());
    return 2;
  }
  const std::string command = args[0];
  const bool push = command == "push";
  const std::vector<std::string> push_flags = {"--admin", "--token", "--token-file", "--help"};
  std::vector<std::string> files;
  std::string admin, token, token_file;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(push ? kPushHelp : kValidateHelp, stdout);
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      files.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    if (!push || (flag != "--admin" && flag != "--token" && flag != "--token-file")) {
      std::string message = StrCat("unknown option ", flag);
      if (push) {
        std::vector<std::string_view> candidates(push_flags.begin(), push_flags.end());
        if (std::optional<std::string_view> hint = DidYouMean(flag, candidates)) {
          StrAppend(&message, "; did you mean ", *hint, "?");
        }
      }
      return UsageError(command, message);
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      value = args[++i];
    } else {
      return UsageError(command, StrCat(flag, " needs a value"));
    }
    (flag == "--admin" ? admin : flag == "--token" ? token : token_file) = value;
  }
  if (files.empty()) return UsageError(command, "no FILE given");
  PushTarget target{admin, token};
  if (push) {
    if (admin.empty()) return UsageError(command, "--admin URL is required");
    if (target.token.empty()) {
      if (auto it = env.find("VETRINA_TOKEN"); it != env.end()) target.token = it->second;
    }
    if (target.token.empty() && !token_file.empty()) {
      absl::StatusOr<std::string> text = ReadTextFile(token_file);
      if (!text.ok())
        return UsageError(command, StrCat("--token-file ", token_file, ": cannot read it"));
      target.token =
          std::string(StripAsciiWhitespace(std::string_view(*text).substr(0, text->find('\n'))));
      if (target.token.empty()) {
        return UsageError(command,
                          StrCat("--token-file ", token_file, ": its first line is empty"));
      }
    }
    if (target.token.empty()) {
      return UsageError(
          command, "no token: pass --token TOKEN, set VETRINA_TOKEN or pass --token-file FILE");
    }
  }
  int failures = 0;
  for (const std::string& file : files) {
    std::string json;
    std::optional<campaigns::CampaignDocument> document = Validate(file, &json);
    if (!document) {
      ++failures;
      continue;
    }
    if (!push) continue;
    if (document->campaigns.empty()) continue;  // an empty batch: nothing to store
    if (!Push(file, json, *document, target)) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace vetrina::app
