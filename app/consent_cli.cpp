#include "app/consent_cli.h"

#include <cstdio>

#include "adapters/privacy/consent_json.h"
#include "base/strings.h"

namespace vetrina::app {

int RunConsentCommand(const std::vector<std::string>& args) {
  if (args.size() != 2 ||
      (args[0] != "tcf" && args[0] != "gpp" && args[0] != "usp" && args[0] != "usnat")) {
    std::fputs("usage: vetrina consent tcf|gpp|usp|usnat STRING\n", stderr);
    return 2;
  }
  std::string json;
  absl::Status status;
  if (args[0] == "tcf") {
    absl::StatusOr<engine::TcfString> tc = engine::DecodeTcf(args[1]);
    status = tc.status();
    if (tc.ok()) json = privacy::TcfJson(*tc);
  } else if (args[0] == "gpp") {
    absl::StatusOr<engine::GppString> gpp = engine::DecodeGpp(args[1]);
    status = gpp.status();
    if (gpp.ok()) json = privacy::GppJson(*gpp);
  } else if (args[0] == "usnat") {
    absl::StatusOr<engine::UsNat> usnat = engine::DecodeUsNat(args[1]);
    status = usnat.status();
    if (usnat.ok()) json = privacy::UsNatJson(*usnat);
  } else {
    absl::StatusOr<engine::UsPrivacy> usp = engine::DecodeUsPrivacy(args[1]);
    status = usp.status();
    if (usp.ok()) json = privacy::UsPrivacyJson(*usp);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "vetrina consent: %s\n", std::string(View(status.message())).c_str());
    return 1;
  }
  std::printf("%s\n", json.c_str());
  return 0;
}

}  // namespace vetrina::app
