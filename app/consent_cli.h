// `vetrina consent tcf|gpp|usp|usnat STRING`: prints what a consent string says, as JSON, or the
// decoder's error (exit 1).
#pragma once

#include <string>
#include <vector>

namespace vetrina::app {

int RunConsentCommand(const std::vector<std::string>& args);

// `vetrina consent --help`.
std::string ConsentHelp();

}  // namespace vetrina::app
