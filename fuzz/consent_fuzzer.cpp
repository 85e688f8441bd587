// The consent decoders (TCF v2, GPP with its sections, US Privacy, usnat) and the privacy
// decision that reads them; a TCF string that decodes must survive an encode/decode round trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/privacy/privacy.h"
#include "engine/privacy/tcf.h"
#include "engine/privacy/us_privacy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vetrina::engine;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<TcfString> tc = DecodeTcf(text); tc.ok()) {
    absl::StatusOr<TcfString> again = DecodeTcf(EncodeTcf(*tc));
    if (!again.ok()) __builtin_trap();
  }
  (void)DecodeGpp(text);
  (void)DecodeUsPrivacy(text);
  (void)DecodeUsNat(text);
  BidRequest request;
  request.regs.gdpr = 1;
  request.user.consent = text;
  request.regs.gpp = text;
  request.regs.gpp_sid = {2, 6, 7, 8};
  request.regs.us_privacy = text.substr(0, 4);
  (void)DecidePrivacy(request, {.vendor_id = 32});
  (void)TruncateIp(text);
  return 0;
}
