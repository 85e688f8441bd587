// Parses an OpenRTB 2.6 bid request into an engine::BidRequest in one forward pass with simdjson
// On-Demand, folding the 2.5 extension locations (regs.ext.gdpr, regs.ext.us_privacy,
// user.ext.consent, user.ext.eids, source.ext.schain, imp.ext.prebid.is_rewarded_inventory) into
// their 2.6 homes. Unknown fields are skipped, as the spec requires.
//
//   BidRequestParser parser(256 * 1024);   // one per thread, reused for every request
//   engine::BidRequest request;
//   absl::Status s = parser.Parse(body, &request);
//   // InvalidArgument: 400 with s.message() ("imp[0].banner.w: must be an integer")
//   // ResourceExhausted: 413
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "adapters/openrtb/native_parser.h"
#include "engine/core/bid_request.h"

namespace vetrina::openrtb {

// Not thread-safe: one per thread. Nothing in the parsed request refers to the parser.
class BidRequestParser {
 public:
  explicit BidRequestParser(size_t max_bytes);

  absl::Status Parse(std::string_view json, engine::BidRequest* out);

 private:
  absl::Status ParseRoot(simdjson::ondemand::value root, engine::BidRequest* out);
  absl::Status ParseImp(simdjson::ondemand::value v, engine::Imp* imp);

  size_t max_bytes_;
  simdjson::ondemand::parser parser_;
  NativeRequestParser native_parser_;
  std::string padded_;
};

// The spec's structural rules that a JSON schema cannot say: unique imp ids, one media object
// per imp, at most one of site/app/dooh. InvalidArgument naming the field.
absl::Status ValidateBidRequest(const engine::BidRequest& request);

}  // namespace vetrina::openrtb
