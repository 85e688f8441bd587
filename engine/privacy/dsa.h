// The EU Digital Services Act's ad transparency (Art. 26 DSA) as the OpenRTB community extension
// "DSA Transparency" carries it: the publisher's `regs.ext.dsa` says whether bids must carry the
// transparency information and who renders it; a bid answers it in `bid.ext.dsa`. The rules follow
// Prebid Server's validation of bids (dsa/validate.go), so an exchange running it keeps our bids.
//
//   DsaDecision d = DecideDsa(campaign, request.regs);
//   if (d.reason != NoBidReason::kNone) -> the campaign does not bid
//   if (d.attach) -> the bid carries bid.ext.dsa
#pragma once

#include "engine/core/bid_request.h"
#include "engine/core/campaign.h"
#include "engine/core/no_bid_reason.h"

namespace vetrina::engine {

// `dsarequired` values.
inline constexpr int kDsaNotRequired = 0;
inline constexpr int kDsaSupported = 1;
inline constexpr int kDsaRequired = 2;
inline constexpr int kDsaRequiredOnlinePlatform = 3;
// `pubrender` and `adrender` values.
inline constexpr int kPubCannotRender = 0;
inline constexpr int kPubWillRender = 2;
inline constexpr int kAdWillRender = 1;

// Whether bids without DSA transparency information are refused: `dsarequired` 2 or 3.
bool DsaRequired(const Regs& regs);

// Whether the publisher's `pubrender` and the campaign's `adrender` conflict: nobody would render
// the information (pubrender 0, adrender 0) or both would (pubrender 2, adrender 1). No conflict
// when the request gives no `pubrender`.
bool DsaRenderConflict(const DsaSignal& signal, const DsaInfo& info);

struct DsaDecision {
  NoBidReason reason = NoBidReason::kNone;  // kDsaMissing, kDsaRenderConflict or kNone
  bool attach = false;                      // the bid carries `bid.ext.dsa`
};

// What the DSA asks of `campaign` on a request with `regs`:
// - DSA required (2, 3): a campaign without DSA information does not bid (kDsaMissing), nor one
//   whose `adrender` conflicts with `pubrender` (kDsaRenderConflict); the others attach theirs.
// - DSA supported (1): a campaign with DSA information attaches it unless it would conflict (the
//   exchange would refuse the bid; without the object it is accepted).
// - no `regs.ext.dsa`, or 0: nothing is attached.
DsaDecision DecideDsa(const Campaign& campaign, const Regs& regs);

}  // namespace vetrina::engine
