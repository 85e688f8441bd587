// What this binary is: the release version, the git commit it was built from and the CMake build
// type. `vetrina --version`, the startup log and the vetrina_build_info metric all print it.
#pragma once

#include <string_view>

namespace vetrina {

struct BuildInfo {
  std::string_view version;     // the project's VERSION in CMakeLists.txt
  std::string_view commit;      // short commit id, "-dirty" when built with uncommitted changes
  std::string_view build_type;  // Release, RelWithDebInfo, ...
};

const BuildInfo& GetBuildInfo();

}  // namespace vetrina
