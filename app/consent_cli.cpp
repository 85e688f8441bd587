#include "app/consent_cli.h"

#include <algorithm>
#include <cstdio>

#include "adapters/privacy/consent_json.h"
#include "base/strings.h"

namespace vetrina::app {

std::string ConsentHelp() {
  return "usage: vetrina consent tcf|gpp|usp|usnat STRING\n"
         "\n"
         "Decodes a consent string and prints what it says as JSON: tcf an IAB TCF v2 TC string,\n"
         "gpp a GPP string, usp a US Privacy string, usnat a GPP US National section. Exit 1 when\n"
         "the string does not decode.\n"
         "\n"
         "options:\n"
         "  --help  this help\n";
}

int RunConsentCommand(const std::vector<std::string>& args) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::fputs(ConsentHelp().c_str(), stdout);
    return 0;
  }
  if (args.size() != 2 ||
      (args[0] != "tcf" && args[0] != "gpp" && args[0] != "usp" && args[0] != "usnat")) {
    std::fputs("vetrina consent: expected tcf|gpp|usp|usnat STRING (see vetrina consent --help)\n",
               stderr);
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
