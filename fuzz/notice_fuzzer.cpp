// The notice URL parser and the token verifier: nothing but a genuine token may verify, and no
// input may crash them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/money/notice_request.h"
#include "engine/money/notice_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vetrina;
  static const vetrina::HmacSha256Key key("fuzz-notice-key");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t split = text.find('?');
  const std::string_view path = text.substr(0, split);
  const std::string_view query = split == std::string_view::npos ? "" : text.substr(split + 1);
  if (absl::StatusOr<money::NoticeRequest> n = money::ParseNoticeRequest(path, query); n.ok()) {
    // A random string that verifies would be a forged token.
    if (engine::VerifyNoticeToken(n->token, key, absl::InfinitePast()).ok()) __builtin_trap();
  }
  (void)engine::VerifyNoticeToken(text, key, absl::InfinitePast());
  (void)money::ParseDecimalMicros(text);
  return 0;
}
