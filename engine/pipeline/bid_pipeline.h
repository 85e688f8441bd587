// A bid's steps, in order, in one place: minimise the request, decide what privacy allows,
// collect the user's keys, look up their audience segments, make the money policy, run the
// auction, reserve each bid's cost and sign its notice tokens. Writing the answer is the
// caller's (adapters/openrtb). The HTTP bid handler, the admin API's explain, the fuzzers and the
// benchmarks all call this class, so what they exercise is what serves; explain differs only in
// the money mode it passes (a dry run reserves nothing and draws no pacing decision).
//
//   BidPipeline pipeline(config, clock, worker);         // one per worker thread
//   EpochDomain::ReadGuard guard(reader);
//   BidWorld world{.guard = guard, .campaigns = ..., .market = ..., .money = money};
//   BidOutcome outcome = pipeline.Bid(&request, world, received_at);
//   if (outcome.status == BidOutcome::Status::kBid) -> write outcome.result, pipeline.signed_bids()
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "base/random.h"
#include "base/sha256.h"
#include "engine/auction/auction.h"
#include "engine/audience/audience.h"
#include "engine/audience/audience_key.h"
#include "engine/audience/audience_store.h"
#include "engine/core/bid_request.h"
#include "engine/core/epoch.h"
#include "engine/core/market_rules.h"
#include "engine/money/spend_policy.h"
#include "engine/privacy/privacy.h"
#include "engine/supply/authorised_supply.h"
#include "engine/targeting/campaign_set.h"

namespace vetrina::engine {

// What a bid reads: the snapshots published to the bid path (valid while `guard` is held) and
// the shared money state. Owned elsewhere; valid for the call.
struct BidWorld {
  const EpochDomain::ReadGuard& guard;
  const CampaignSet& campaigns;
  const MarketRules& market;
  // Membership lookups; nullptr when this process keeps no audiences (no user is then known).
  const AudienceStore* audience_store = nullptr;
  const AudienceRegistry* audience_registry = nullptr;
  MoneyState& money;
};

struct BidPipelineConfig {
  // Our IAB TCF vendor id; 0 = none, so no GDPR consent string can name us.
  int tcf_vendor_id = 0;
  // Whether an https base URL for notices is configured; without one `secure` imps get no bid.
  bool https_notices = false;
  // Our buyer seat, checked against `wseat`/`bseat` and deals' `wseat`.
  std::string seat = "vetrina";
  // A request's deadline is its tmax (or `default_tmax` when it has none) after its first bytes
  // reached this host, less `deadline_margin` for the answer's trip back.
  absl::Duration default_tmax = absl::Milliseconds(100);
  absl::Duration deadline_margin = absl::Milliseconds(10);
  // How long the trackers in an ad (impression, click) count; the exchange's notices live as
  // long as the bid's reservation.
  absl::Duration ad_token_ttl = absl::Hours(1);
  // Seeds each worker's random generator (pacing draws); tests fix it.
  uint64_t random_seed = 0x5eed;
  // Sign notice tokens, and hash users for frequency caps. Must outlive the pipeline.
  const HmacSha256Key* notice_key = nullptr;
  const HmacSha256Key* user_key = nullptr;

  // What one request may take. The bid endpoint is not authenticated: without these a request
  // with thousands of imps got as many bids, each holding its cost against a budget for the
  // reservation timeout, so a few such requests a minute locked a campaign's day.
  //
  // Imps considered, in request order; the rest get no bid (the body limit already bounds
  // parsing, this bounds the auction's work and the answer's size).
  size_t max_imps_per_request = 32;
  // Bids in one answer (our one seat's), in imp order.
  size_t max_bids_per_response = 16;
  // Imps of one request one campaign may win: a campaign bids on a multi-slot page, not on all
  // of it.
  size_t max_bids_per_campaign = 2;
  // What one request may hold of a campaign's budget (its daily budget, else its lifetime one),
  // parts per million; the campaign's first bid in a request is always allowed, so a small
  // budget still bids. 1%: to lock a budget a sender must keep a hundred such requests'
  // reservations open at once, and a CPM bid costs a thousandth of its price, so in practice the
  // per-campaign bid bound binds first and this cap matters for CPC bids, which hold a click.
  int64_t max_request_reservation_ppm = 10'000;
};

// A bid's id and its signed notice tokens (engine/money/notice_token.h): one for the exchange's
// notices (nurl, burl, lurl), one for the trackers in the ad (impression, click).
struct SignedBid {
  std::string id;
  std::string exchange_token;
  std::string ad_token;
};

struct BidOutcome {
  enum class Status {
    kBid,      // `result.bids` is not empty; signed_bids() has one entry per bid
    kNoBid,    // result.RequestReason() says why
    kTooLate,  // the deadline passed before the answer could be sent: answer 204 at once
  };
  Status status = Status::kNoBid;
  PrivacyDecision privacy;
  AuctionResult result;
  std::string response_id;     // the response's `bidid` when there are bids
  size_t imps_over_limit = 0;  // imps past max_imps_per_request, left out before the auction
};

// Why each campaign would or would not bid on a request, after the same steps a bid takes.
struct Explanation {
  PrivacyDecision privacy;
  bool known_user = false;  // whether audience segments were looked up for this user
  SupplyVerdict supply;
  std::vector<CampaignExplanation> campaigns;
  bool truncated = false;  // more campaigns matched the filter than the limit allowed
};

// Not thread-safe: one per worker thread (it reuses its buffers, random generator and id
// sequence across requests).
class BidPipeline {
 public:
  // `worker` makes this pipeline's bid ids and random draws distinct from other workers'.
  BidPipeline(BidPipelineConfig config, const Clock& clock, int worker);

  // Runs every step on `request` (which it minimises in place), whose first bytes reached this
  // host at `received_at`. Reserves and signs each bid it returns.
  BidOutcome Bid(BidRequest* request, const BidWorld& world, absl::Time received_at);

  // The same steps up to the auction with a dry-run money policy: budget, pacing and caps are
  // reported but nothing is reserved, counted or drawn. Explains each campaign `include` accepts,
  // at most `limit` of them.
  Explanation Explain(BidRequest* request, const BidWorld& world,
                      const std::function<bool(const Campaign&)>& include, size_t limit);

  // Tokens and ids of the bids of the last Bid() call, in bid order.
  const std::vector<SignedBid>& signed_bids() const { return signed_bids_; }
  const BidPipelineConfig& config() const { return config_; }

  // The steps, in order. Each is public so tests and benchmarks can run one alone.

  // 1. Data minimisation: truncated IPs from here on (engine/privacy).
  static void Minimise(BidRequest* request);
  // 1b. Leaves out the imps past max_imps_per_request; returns how many.
  size_t LimitImps(BidRequest* request) const;
  // 2. Which privacy rules apply (GDPR/TCF, US privacy, GPP, COPPA, ATT) and what they allow.
  PrivacyDecision DecidePrivacy(const BidRequest& request, const MarketRules& market) const;
  // 3. The audience keys of the ids privacy lets audience targeting use, and the one id
  //    frequency caps count under (IFA, else IFV, else user id, as allowed).
  void CollectUserKeys(const BidRequest& request, const PrivacyDecision& privacy);
  // 4. The user's audience segment names, sorted; nullptr when the user is not known (no store,
  //    no usable id, or privacy forbids audiences).
  const std::vector<std::string>* LookUpSegments(const BidWorld& world,
                                                 const PrivacyDecision& privacy, absl::Time now);
  // 5. The money policy: budget, pacing, caps and the CTR model, for this user and app.
  SpendPolicy MakePolicy(const BidRequest& request, const BidWorld& world, SpendPolicy::Mode mode,
                         absl::Time now);
  // 5b. Whether the request's supply chain is authorised by the uploaded app-ads.txt and
  //     sellers.json files (engine/supply); decided once, read by campaigns that require it.
  static SupplyVerdict DecideSupply(const BidRequest& request, const MarketRules& market);
  // 6. The auction (engine/auction).
  AuctionResult RunAuction(const BidRequest& request, const BidWorld& world,
                           const PrivacyDecision& privacy, const std::vector<std::string>* segments,
                           SpendPolicy& policy, absl::Time now);
  // 7. Holds each bid's cost against its campaign's budget; drops the bids the budget can no
  //    longer hold (another thread may have taken the last of it since the auction looked) or
  //    that would take more than max_request_reservation_ppm of it for this request, and gives
  //    each kept bid its id.
  void Reserve(AuctionResult* result, const BidWorld& world, absl::Time now);
  // 8. Signs each kept bid's notice tokens. `personal_data`: whether the tokens may carry the
  //    capping user hash.
  void Sign(const BidRequest& request, const AuctionResult& result, const BidWorld& world,
            SpendPolicy& policy, bool personal_data, absl::Time now);

  // Whether the deadline of a request received at `received_at` has passed.
  bool PastDeadline(const BidRequest& request, absl::Time received_at) const;

 private:
  std::string NextId();
  // What the auction and explain's per-campaign checks read besides the request.
  AuctionContext Context(const BidWorld& world, const PrivacyDecision& privacy,
                         const std::vector<std::string>* segments, SpendPolicy& policy,
                         absl::Time now);

  const BidPipelineConfig config_;
  const Clock& clock_;
  Rng rng_;
  const std::string id_prefix_;  // distinct per process start and worker
  uint64_t sequence_ = 0;
  CampaignSet::Scratch scratch_;
  std::vector<AudienceKey> user_keys_;
  std::optional<AudienceKey> capping_key_;
  std::vector<std::vector<SegmentId>> user_segments_;
  std::vector<std::string> segment_names_;
  std::vector<std::string> bid_ids_;  // parallel to the kept bids, between Reserve and Sign
  std::vector<LeaseId> leases_;       // the same, the lease each was reserved under
  std::vector<std::pair<const Campaign*, Micros>> reserved_;  // this request's, in Reserve
  std::vector<SignedBid> signed_bids_;
};

}  // namespace vetrina::engine
