// The Native 1.0-1.2 request parser (the string inside imp.native.request).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/openrtb/native_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vetrina::openrtb::NativeRequestParser parser;
  vetrina::engine::NativeRequest native;
  (void)parser.Parse(std::string_view(reinterpret_cast<const char*>(data), size), &native);
  return 0;
}
