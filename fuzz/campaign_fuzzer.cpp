// The campaign validator (what the admin API and `vetrina campaigns validate` run on uploads).
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/campaigns/campaign_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<vetrina::campaigns::Problem> problems;
  (void)vetrina::campaigns::ParseCampaign(std::string(reinterpret_cast<const char*>(data), size),
                                          &problems);
  return 0;
}
