// The VAST reader and its XML scanner (what a video creative's upload runs on advertiser markup).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/vast/vast.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> problems;
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const vetrina::vast::VastSummary vast = vetrina::vast::ReadVast(xml, &problems);
  for (uint32_t at : vast.impression_offsets) {
    if (at >= size) __builtin_trap();
  }
  return 0;
}
