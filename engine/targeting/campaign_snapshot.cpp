#include "engine/targeting/campaign_snapshot.h"

#include <algorithm>
#include <functional>

#include "absl/strings/string_view.h"
#include "engine/targeting/eligibility.h"

namespace vetrina::engine {
namespace {

std::vector<CampaignPtr> Share(std::vector<Campaign> campaigns) {
  std::vector<CampaignPtr> shared;
  shared.reserve(campaigns.size());
  for (Campaign& c : campaigns) shared.push_back(std::make_shared<const Campaign>(std::move(c)));
  return shared;
}

// Two bits per entry in a 64-bit Bloom signature.
uint64_t SignatureBits(std::string_view value) {
  const size_t h = std::hash<std::string_view>{}(value);
  return (uint64_t{1} << (h & 63)) | (uint64_t{1} << ((h >> 6) & 63));
}

// Unix nanoseconds, saturating: far past and future times (and the infinities) stay outside
// any request's time.
int64_t ToNanos(absl::Time t) {
  if (t <= absl::FromUnixNanos(INT64_MIN)) return INT64_MIN;
  if (t >= absl::FromUnixNanos(INT64_MAX)) return INT64_MAX;
  return absl::ToUnixNanos(t);
}

}  // namespace

CampaignSnapshot::CampaignSnapshot(std::vector<Campaign> campaigns)
    : CampaignSnapshot(Share(std::move(campaigns))) {}

CampaignSnapshot::CampaignSnapshot(std::vector<CampaignPtr> campaigns)
    : campaigns_(std::move(campaigns)) {
  std::sort(campaigns_.begin(), campaigns_.end(),
            [](const CampaignPtr& a, const CampaignPtr& b) { return RanksBefore(*a, *b); });
  std::vector<const Targeting*> targetings;
  targetings.reserve(campaigns_.size());
  residuals_.reserve(campaigns_.size());
  block_signatures_.reserve(campaigns_.size());
  has_residual_ = Bitset(campaigns_.size());
  rank_by_id_.reserve(campaigns_.size());
  for (uint32_t rank = 0; rank < campaigns_.size(); ++rank) {
    const Campaign& c = *campaigns_[rank];
    rank_by_id_[c.id] = rank;
    targetings.push_back(c.status == CampaignStatus::kActive ? &c.targeting : nullptr);
    Residual r;
    r.start_ns = ToNanos(c.start);
    r.end_ns = ToNanos(c.end);
    uint64_t signature = 0;
    for (const std::string& category : c.categories) {
      signature |= SignatureBits(category);
      for (size_t dash = category.find('-'); dash != std::string::npos;
           dash = category.find('-', dash + 1)) {
        signature |= SignatureBits(std::string_view(category).substr(0, dash));
      }
    }
    for (const std::string& domain : c.adomain) signature |= SignatureBits(domain);
    if (!c.app_bundle.empty()) signature |= SignatureBits(c.app_bundle);
    block_signatures_.push_back(signature);
    r.check_targeting = !c.targeting.audiences.all_of.empty();
    if (!c.targeting.os_version.IsAny()) {
      const std::optional<uint64_t> min = PackVersion(c.targeting.os_version.min);
      const std::optional<uint64_t> max = PackVersion(c.targeting.os_version.max);
      if (min && max) {
        r.has_version_range = true;
        r.min_version = *min;
        r.max_version = c.targeting.os_version.max.empty() ? UINT64_MAX : *max;
      } else {
        r.check_targeting = true;
      }
    }
    if (r.start_ns != INT64_MIN || r.end_ns != INT64_MAX || r.has_version_range ||
        r.check_targeting) {
      has_residual_.Set(rank);
    }
    residuals_.push_back(r);
  }
  index_ = BitmapIndex(targetings);
}

const Campaign* CampaignSnapshot::Find(std::string_view id) const {
  auto it = rank_by_id_.find(absl::string_view(id.data(), id.size()));
  return it == rank_by_id_.end() ? nullptr : campaigns_[it->second].get();
}

std::optional<uint32_t> CampaignSnapshot::RankOf(std::string_view id) const {
  auto it = rank_by_id_.find(absl::string_view(id.data(), id.size()));
  if (it == rank_by_id_.end()) return std::nullopt;
  return it->second;
}

void CampaignSnapshot::Match(const RequestFacts& facts, Scratch* scratch) const {
  index_.Match(facts, &scratch->index, &scratch->matches);
}

uint64_t CampaignSnapshot::BlockSignature(const BidRequest& request) {
  uint64_t signature = 0;
  for (const std::string& v : request.bcat) signature |= SignatureBits(v);
  for (const std::string& v : request.badv) signature |= SignatureBits(v);
  for (const std::string& v : request.bapp) signature |= SignatureBits(v);
  return signature;
}

NoBidReason CampaignSnapshot::CheckResidual(uint32_t rank, const BidRequest& request,
                                            const RequestFacts& facts, absl::Time now,
                                            uint64_t request_block_signature) const {
  if ((block_signatures_[rank] & request_block_signature) != 0) {
    if (const NoBidReason b = CheckBlocks(*campaigns_[rank], request); b != NoBidReason::kNone) {
      return b;
    }
  }
  if (!has_residual_.Test(rank)) return NoBidReason::kNone;
  const Residual& r = residuals_[rank];
  // Exact: saturation only moves times beyond the year 2262 to its edge.
  const int64_t now_ns = ToNanos(now);
  if (now_ns < r.start_ns || now_ns >= r.end_ns) return NoBidReason::kCampaignInactive;
  if (r.check_targeting) {
    const NoBidReason t = CheckTargeting(campaigns_[rank]->targeting, facts);
    if (t != NoBidReason::kNone) return t;
  } else if (r.has_version_range) {
    if (facts.os_version.empty()) return NoBidReason::kTargetingOsVersion;
    if (facts.packed_os_version) {
      if (*facts.packed_os_version < r.min_version || *facts.packed_os_version > r.max_version) {
        return NoBidReason::kTargetingOsVersion;
      }
    } else if (const NoBidReason t = CheckTargeting(campaigns_[rank]->targeting, facts);
               t != NoBidReason::kNone) {
      return t;  // a request version that does not pack: compare it the long way
    }
  }
  return NoBidReason::kNone;
}

}  // namespace vetrina::engine
