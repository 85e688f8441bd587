#include "engine/targeting/campaign_set.h"

namespace vetrina::engine {
namespace {

NoBidReason Closer(NoBidReason a, NoBidReason b) { return a > b ? a : b; }

}  // namespace

CampaignSet::CampaignSet() : CampaignSet(std::vector<CampaignPtr>{}) {}

CampaignSet::CampaignSet(std::vector<Campaign> campaigns)
    : base_(std::make_shared<const CampaignSnapshot>(std::move(campaigns))),
      delta_(std::make_shared<const CampaignSnapshot>()),
      removed_(base_->size()) {}

CampaignSet::CampaignSet(std::vector<CampaignPtr> campaigns)
    : base_(std::make_shared<const CampaignSnapshot>(std::move(campaigns))),
      delta_(std::make_shared<const CampaignSnapshot>()),
      removed_(base_->size()) {}

CampaignSet::CampaignSet(std::shared_ptr<const CampaignSnapshot> base,
                         std::vector<CampaignPtr> changed, const std::vector<std::string>& removed)
    : base_(std::move(base)),
      delta_(std::make_shared<const CampaignSnapshot>(std::move(changed))),
      removed_(base_->size()) {
  for (const std::string& id : removed) {
    if (std::optional<uint32_t> rank = base_->RankOf(id); rank && !removed_.Test(*rank)) {
      removed_.Set(*rank);
      ++removed_count_;
    }
  }
}

const Campaign* CampaignSet::Find(std::string_view id) const {
  if (const Campaign* c = delta_->Find(id)) return c;
  std::optional<uint32_t> rank = base_->RankOf(id);
  if (!rank || removed_.Test(*rank)) return nullptr;
  return &base_->campaign(*rank);
}

void CampaignSet::ForEachCampaign(absl::FunctionRef<bool(const Campaign&)> fn) const {
  uint32_t b = 0, d = 0;
  const uint32_t nb = static_cast<uint32_t>(base_->size());
  const uint32_t nd = static_cast<uint32_t>(delta_->size());
  while (true) {
    while (b < nb && removed_.Test(b)) ++b;
    if (b >= nb && d >= nd) return;
    const bool take_delta =
        b >= nb || (d < nd && RanksBefore(delta_->campaign(d), base_->campaign(b)));
    if (!fn(take_delta ? delta_->campaign(d++) : base_->campaign(b++))) return;
  }
}

void CampaignSet::Match(const RequestFacts& facts, Scratch* scratch) const {
  // Base campaigns the delta hides are skipped while walking (ForEachEligible): cheaper than
  // clearing them from every request's matches, since the walk usually stops early.
  base_->Match(facts, &scratch->base);
  if (delta_->size() > 0) delta_->Match(facts, &scratch->delta);
}

void CampaignSet::ForEachEligible(const Scratch& scratch, const BidRequest& request,
                                  const RequestFacts& facts, absl::Time now,
                                  absl::FunctionRef<bool(const Campaign&)> fn,
                                  NoBidReason* closest) const {
  const uint64_t signature = CampaignSnapshot::BlockSignature(request);
  const Bitset& base_bits = scratch.base.matches;
  const uint32_t nb = static_cast<uint32_t>(base_->size());
  const uint32_t nd = static_cast<uint32_t>(delta_->size());
  uint32_t b = base_bits.NextSet(0);
  uint32_t d = nd > 0 ? scratch.delta.matches.NextSet(0) : 0;
  // A hidden base head must not decide the order against the delta: skip it first.
  auto skip_hidden = [&] {
    while (removed_count_ > 0 && b < nb && removed_.Test(b)) b = base_bits.NextSet(b + 1);
  };
  skip_hidden();
  while (b < nb || d < nd) {
    const bool take_delta =
        b >= nb || (d < nd && RanksBefore(delta_->campaign(d), base_->campaign(b)));
    const CampaignSnapshot& layer = take_delta ? *delta_ : *base_;
    const uint32_t rank = take_delta ? d : b;
    if (take_delta) {
      d = scratch.delta.matches.NextSet(d + 1);
    } else {
      b = base_bits.NextSet(b + 1);
    }
    skip_hidden();
    const NoBidReason reason = layer.CheckResidual(rank, request, facts, now, signature);
    if (reason != NoBidReason::kNone) {
      if (closest != nullptr) *closest = Closer(*closest, reason);
      continue;
    }
    if (!fn(layer.campaign(rank))) return;
  }
}

}  // namespace vetrina::engine
