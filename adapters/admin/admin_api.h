// The authenticated admin API on the admin listener (/v1/...): advertisers, campaigns and the
// explain endpoint. Each call authenticates with "Authorization: Bearer <token>"; an advertiser's
// token sees and changes only that advertiser's campaigns (another's are 404), the admin token
// sees all.
//
//   POST   /v1/advertisers                 {"id": "acme"} -> {"id", "token"}   (admin only)
//   PUT    /v1/campaigns/{id}[?dry_run=1]  create or replace
//   GET    /v1/campaigns/{id}              the campaign as uploaded
//   GET    /v1/campaigns[?after=ID&limit=N]
//   DELETE /v1/campaigns/{id}
//   POST   /v1/campaigns:batch[?dry_run=1] a JSON array, all or nothing
//   POST   /v1/debug/explain               a bid request -> why each campaign would (not) bid
//   PUT    /v1/audiences/{id}              create or replace an audience (advertiser tokens)
//   GET    /v1/audiences/{id}, /v1/audiences
//   POST   /v1/audiences/{id}/members      streamed ids, one per line (DELETE removes them)
//   GET    /v1/campaigns/{id}/stats        bids, wins, spend, budget left, pacing, win rate...
//   GET|PUT /v1/currencies                 exchange rates (PUT: admin only)
//   GET|PUT /v1/floors                     per-placement floors (PUT: admin only)
//   GET|PUT /v1/advertisers/{id}/app_blocklist   apps the advertiser refuses
#pragma once

#include "adapters/admin/catalog.h"
#include "adapters/http/http_types.h"
#include "adapters/money/market_json.h"
#include "adapters/openrtb/request_parser.h"
#include "adapters/service/bidder.h"
#include "engine/core/epoch.h"
#include "engine/pipeline/bid_pipeline.h"

namespace vetrina::admin {

// Not thread-safe: one per admin worker thread.
class AdminApi final : public http::Handler {
 public:
  static constexpr size_t kMaxBatch = 10'000;
  static constexpr size_t kDefaultListLimit = 100;
  static constexpr size_t kMaxListLimit = 10'000;
  static constexpr size_t kMaxExplained = 1'000;

  // `market` may be null (no marketplace settings: those paths answer 404).
  AdminApi(Catalog& catalog, service::Bidder& bidder, money::MarketStore* market = nullptr);

  // Serves paths under /v1/; returns false (leaving `response` alone) for any other path.
  bool Serve(const http::HttpRequest& request, http::HttpResponse* response);
  void Handle(const http::HttpRequest& request, http::HttpResponse* response) override;
  // Membership uploads are taken as a stream; an upload the caller may not make gets a stream
  // that refuses it with the right status.
  std::unique_ptr<http::BodyStream> OpenStream(const http::HttpRequest& head) override;

 private:
  // Serves an authenticated call.
  void Route(const Principal& who, const http::HttpRequest& request, http::HttpResponse* response);
  // The "audit" log line of a change: who, what (method, resource kind and id), its status and
  // the catalog's version before and after.
  void WriteAudit(const Principal& who, const http::HttpRequest& request,
                  const http::HttpResponse& response, uint64_t version_before,
                  uint64_t version_after);
  void CreateAdvertiser(const Principal& who, const http::HttpRequest& request,
                        http::HttpResponse* response);
  void PutCampaign(const Principal& who, const std::string& id, const http::HttpRequest& request,
                   http::HttpResponse* response);
  void GetCampaign(const Principal& who, const std::string& id, http::HttpResponse* response);
  void ListCampaigns(const Principal& who, const http::HttpRequest& request,
                     http::HttpResponse* response);
  void DeleteCampaign(const Principal& who, const std::string& id, http::HttpResponse* response);
  void Batch(const Principal& who, const http::HttpRequest& request, http::HttpResponse* response);
  void Explain(const Principal& who, const http::HttpRequest& request,
               http::HttpResponse* response);
  void PutAudience(const Principal& who, const std::string& id, const http::HttpRequest& request,
                   http::HttpResponse* response);
  void GetAudience(const Principal& who, const std::string& id, http::HttpResponse* response);
  void ListAudiences(const Principal& who, http::HttpResponse* response);
  void CampaignStats(const Principal& who, const std::string& id, http::HttpResponse* response);
  // PUT/GET /v1/apps/{app}/app-ads.txt and /v1/exchanges/{domain}/sellers.json.
  void SellersFile(const Principal& who, std::string_view path, const http::HttpRequest& request,
                   http::HttpResponse* response);
  // /v1/currencies, /v1/floors, /v1/advertisers/{id}/app_blocklist.
  void MarketSetting(const Principal& who, std::string_view path, const http::HttpRequest& request,
                     http::HttpResponse* response);
  // Adds every audience a campaign targets that does not exist (for its advertiser) to
  // `problems`, with its pointer under `prefix`.
  void CheckAudiences(const engine::Campaign& campaign, const std::string& prefix,
                      std::vector<std::string>* problems) const;

  Catalog& catalog_;
  service::Bidder& bidder_;
  money::MarketStore* market_;
  engine::EpochDomain::Reader reader_;
  openrtb::BidRequestParser parser_;
  // The ids a change names in its body (a new advertiser, a batch's campaigns), for its audit.
  std::vector<std::string> audit_ids_;
  engine::BidPipeline pipeline_;  // explain's: the bid path's steps with a dry-run money policy
};

// Answers a refused or failed call: 400 InvalidArgument, 403 PermissionDenied, 404 NotFound,
// 409 AlreadyExists, 413 ResourceExhausted, 503 with "Retry-After: 1" for Unavailable and
// DeadlineExceeded (the catalog's log could not be reached: nothing was stored), else 500.
void SetStatusError(const absl::Status& s, http::HttpResponse* response);

// The value of `name` in a URL query string ("a=1&dry_run=1"), undecoded; "" when absent.
std::string_view QueryParam(std::string_view query, std::string_view name);

}  // namespace vetrina::admin
