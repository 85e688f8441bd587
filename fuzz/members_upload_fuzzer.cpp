// The audience upload line parser: a streamed body of ids (raw or SHA-256 hex), split into
// chunks at positions the input chooses.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "adapters/audiences/members_upload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vetrina;
  static engine::EpochDomain domain;
  static engine::AudienceStore store(domain, 1);
  static vetrina::RealClock clock;
  static audiences::MembershipWriterPtr writer = [] {
    const std::string dir =
        (std::filesystem::temp_directory_path() / "vetrina-members-fuzzer").string();
    std::filesystem::create_directories(dir);
    return *audiences::MembershipWriter::Open(dir, store, clock);
  }();
  if (size == 0) return 0;
  audiences::MembersUpload upload(*writer, 1, 20'000, /*remove=*/data[0] & 1);
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  // The first byte also picks the chunk size: lines split across chunks must join.
  const size_t chunk = 1 + data[0] % 61;
  while (!body.empty()) {
    if (!upload.Append(body.substr(0, chunk))) break;
    body.remove_prefix(std::min(chunk, body.size()));
  }
  if (upload.accepted() + upload.rejected() > size) __builtin_trap();  // more lines than bytes
  return 0;
}
