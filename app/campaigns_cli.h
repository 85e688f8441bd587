// `vetrina campaigns validate FILE...` and `vetrina campaigns push FILE... --admin URL`: the same
// checks as the admin API, from the command line. A file holds one campaign or a batch (a JSON
// array of campaigns, as `POST /v1/campaigns:batch` takes).
#pragma once

#include <string>
#include <vector>

#include "app/config.h"

namespace vetrina::app {

// Returns the process exit code: 0 when every file is valid (or pushed), 1 otherwise, 2 on
// usage errors; 0 for --help. Writes a line per file to stdout and problems to stdout, indented.
// `env` supplies VETRINA_TOKEN to push.
int RunCampaignsCommand(const std::vector<std::string>& args, const Environment& env);

// `vetrina campaigns --help`: both subcommands and every option.
std::string CampaignsHelp();

}  // namespace vetrina::app
