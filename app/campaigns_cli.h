// `vetrina campaigns validate FILE...` and `vetrina campaigns push FILE... --admin URL --token T`:
// the same checks as the admin API, from the command line.
#pragma once

#include <string>
#include <vector>

namespace vetrina::app {

// Returns the process exit code: 0 when every file is valid (or pushed), 1 otherwise, 2 on
// usage errors. Writes a line per file to stdout and problems to stdout, indented.
int RunCampaignsCommand(const std::vector<std::string>& args);

}  // namespace vetrina::app
