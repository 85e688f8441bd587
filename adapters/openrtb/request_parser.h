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

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "adapters/openrtb/native_parser.h"
#include "engine/core/bid_request.h"

namespace vetrina::openrtb {

// Why an imp was left out of a request that was otherwise answered.
enum class ImpDropReason : uint8_t {
  kMalformed,   // a member of the wrong type or shape, or a native request that is not JSON
  kIncomplete,  // a required member missing: id, a media object, native assets
  kCount
};

// What the parser tolerated in the last request instead of rejecting it, for metrics.
struct ParseNotes {
  struct DroppedImp {
    size_t index = 0;  // in the request's `imp` array
    ImpDropReason reason = ImpDropReason::kMalformed;
    absl::Status error;  // names the member, "imp[2].native.request: ..."
  };
  std::vector<DroppedImp> dropped_imps;
  int ignored_exts = 0;  // `ext` members of the wrong type, skipped
};

// Not thread-safe: one per thread. Nothing in the parsed request refers to the parser.
//
// A broken imp (a wrong type inside it, a missing id or media object, a native request that is
// not Native) is dropped and noted, and the request is answered for its other imps; when every
// imp is broken the request is rejected with the first imp's error. Anything broken outside the
// imps, a duplicated member anywhere, or JSON that is not well formed rejects the request.
class BidRequestParser {
 public:
  explicit BidRequestParser(size_t max_bytes);

  absl::Status Parse(std::string_view json, engine::BidRequest* out);
  // What the last Parse tolerated.
  const ParseNotes& notes() const { return notes_; }

 private:
  absl::Status ParseRoot(simdjson::ondemand::value root, engine::BidRequest* out);
  absl::Status ParseImp(simdjson::ondemand::value v, engine::Imp* imp);

  size_t max_bytes_;
  simdjson::ondemand::parser parser_;
  NativeRequestParser native_parser_;
  std::string padded_;
  simdjson::dom::parser validator_;  // checks a request whose broken imps were skipped
  ParseNotes notes_;
};

// An imp's own structural rules: an id, one media object, a native request with assets.
// InvalidArgument naming the field, relative to the imp ("native.request: required").
absl::Status ValidateImp(const engine::Imp& imp);

// The spec's structural rules that a JSON schema cannot say: unique imp ids, one media object
// per imp, at most one of site/app/dooh. InvalidArgument naming the field.
absl::Status ValidateBidRequest(const engine::BidRequest& request);

}  // namespace vetrina::openrtb
