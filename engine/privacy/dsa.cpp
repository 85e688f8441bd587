#include "engine/privacy/dsa.h"

namespace vetrina::engine {

bool DsaRequired(const Regs& regs) {
  return regs.dsa &&
         (regs.dsa->required == kDsaRequired || regs.dsa->required == kDsaRequiredOnlinePlatform);
}

bool DsaRenderConflict(const DsaSignal& signal, const DsaInfo& info) {
  if (!signal.pubrender) return false;
  const bool ad_renders = info.adrender == kAdWillRender;
  if (*signal.pubrender == kPubCannotRender && !ad_renders) return true;
  if (*signal.pubrender == kPubWillRender && ad_renders) return true;
  return false;
}

DsaDecision DecideDsa(const Campaign& campaign, const Regs& regs) {
  if (!regs.dsa || regs.dsa->required < kDsaSupported) return {};
  const bool required = DsaRequired(regs);
  if (!campaign.dsa) return {.reason = required ? NoBidReason::kDsaMissing : NoBidReason::kNone};
  if (DsaRenderConflict(*regs.dsa, *campaign.dsa)) {
    return {.reason = required ? NoBidReason::kDsaRenderConflict : NoBidReason::kNone};
  }
  return {.attach = true};
}

}  // namespace vetrina::engine
