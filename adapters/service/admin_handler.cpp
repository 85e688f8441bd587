#include "adapters/service/admin_handler.h"

#include "adapters/service/bid_handler.h"
#include "adapters/service/process_metrics.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace vetrina::service {
namespace {

// What this node holds and whether it reaches the fleet: gauges the Metrics counters do not keep.
void AppendNodeGauges(Bidder& bidder, std::string* out) {
  if (const engine::AudienceStore* audiences = bidder.audience_store()) {
    StrAppend(out,
              "# HELP vetrina_audience_users Users with at least one audience membership.\n"
              "# TYPE vetrina_audience_users gauge\nvetrina_audience_users ",
              audiences->users(),
              "\n# HELP vetrina_audience_memberships Audience memberships held in memory.\n"
              "# TYPE vetrina_audience_memberships gauge\nvetrina_audience_memberships ",
              audiences->memberships(), "\n");
  }
  if (bidder.in_fleet()) {
    StrAppend(out,
              "# HELP vetrina_fleet_store_up Whether this node reaches the fleet's Redis.\n"
              "# TYPE vetrina_fleet_store_up gauge\nvetrina_fleet_store_up ",
              bidder.fleet_health().ok() ? 1 : 0, "\n");
  }
  if (const money::LeaseKeeper* keeper = bidder.lease_keeper()) {
    StrAppend(out,
              "# HELP vetrina_lease_redis_calls_total Budget lease calls (FCALL) to the fleet's "
              "Redis.\n# TYPE vetrina_lease_redis_calls_total counter\n"
              "vetrina_lease_redis_calls_total ",
              keeper->redis_calls(),
              "\n# HELP vetrina_lease_redis_failures_total Budget lease calls that failed or "
              "timed out.\n# TYPE vetrina_lease_redis_failures_total counter\n"
              "vetrina_lease_redis_failures_total ",
              keeper->failed_calls(),
              "\n# HELP vetrina_leases_closed_total Expired leases of stopped nodes this node "
              "closed.\n# TYPE vetrina_leases_closed_total counter\nvetrina_leases_closed_total ",
              keeper->closed_leases(),
              "\n# HELP vetrina_lease_invariant_reports_total Accounts Redis found with settled "
              "plus leased above the budget (a budget lowered below them).\n"
              "# TYPE vetrina_lease_invariant_reports_total counter\n"
              "vetrina_lease_invariant_reports_total ",
              keeper->invariant_reports(), "\n");
  }
  if (const audiences::MembershipWriter* writer = bidder.membership_writer();
      writer != nullptr && bidder.in_fleet()) {  // only a shared log drops: a journal waits
    StrAppend(out,
              "# HELP vetrina_audience_updates_dropped_total Audience updates from pixel events "
              "dropped because the fleet's Redis stayed out of reach while its queue filled.\n"
              "# TYPE vetrina_audience_updates_dropped_total counter\n"
              "vetrina_audience_updates_dropped_total ",
              writer->dropped(), "\n");
  }
}

bool IsStatusPagePath(std::string_view path) {
  return path == "/" || path == "/index.html" || path.substr(0, 8) == "/static/" ||
         path == "/v1/status";
}

}  // namespace

AdminHandler::AdminHandler(Bidder& bidder, http::HandlerPtr api, http::HandlerPtr status)
    : bidder_(bidder),
      api_(std::move(api)),
      status_(std::move(status)),
      access_log_(bidder.options().access_log_sample,
                  static_cast<uint64_t>(absl::ToUnixNanos(bidder.clock().Now())) ^ 0x5bd1e995u) {}

void AdminHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  const Endpoint endpoint = Route(request, response);
  access_log_.Record(request, response, endpoint, bidder_.clock());
}

Endpoint AdminHandler::Route(const http::HttpRequest& request, http::HttpResponse* response) {
  if (status_ != nullptr && IsStatusPagePath(request.path)) {
    status_->Handle(request, response);
    bidder_.metrics().CountRequest(Endpoint::kAdminApi, response->status);
    return Endpoint::kAdminApi;
  }
  if (api_ != nullptr && request.path.substr(0, 4) == "/v1/") {
    api_->Handle(request, response);
    bidder_.metrics().CountRequest(Endpoint::kAdminApi, response->status);
    return Endpoint::kAdminApi;
  }
  Endpoint endpoint = Endpoint::kOther;
  const bool read_method =
      request.method == http::Method::kGet || request.method == http::Method::kHead;
  if (request.path == "/healthz") {
    endpoint = Endpoint::kHealthz;
    response->body = "{\"status\":\"ok\"}";
  } else if (request.path == "/readyz") {
    endpoint = Endpoint::kReadyz;
    if (absl::Status fleet = bidder_.fleet_health(); bidder_.ready() && !fleet.ok()) {
      // Still serving bids from the last snapshots: ready for traffic, but say why writes fail.
      JsonWriter body(&response->body);
      body.BeginObject();
      body.Key("status");
      body.String("degraded");
      body.Key("reason");
      body.String(View(fleet.message()));
      body.EndObject();
    } else if (bidder_.ready()) {
      response->body = "{\"status\":\"ready\"}";
    } else {
      response->status = 503;
      response->body = "{\"status\":\"loading\"}";
    }
  } else if (request.path == "/metrics") {
    endpoint = Endpoint::kMetrics;
    response->content_type = "text/plain; version=0.0.4";
    response->body = bidder_.metrics().Render(bidder_.listeners());
    bidder_.metrics().AppendSnapshotGauges(bidder_.clock().Now(), &response->body);
    {
      engine::EpochDomain::Reader reader(bidder_.epoch());
      engine::EpochDomain::ReadGuard guard(reader);
      AppendCatalogGauges(bidder_.campaigns().Get(guard), &response->body);
    }
    if (const Histogram* fsync = bidder_.fsync_latency()) {
      fsync->AppendTo(kFsyncMetric, kFsyncHelp, &response->body);
    }
    if (absl::StatusOr<ProcessSample> process = ReadProcessSample(); process.ok()) {
      AppendProcessMetrics(*process, &response->body);
    }
    AppendNodeGauges(bidder_, &response->body);
  } else {
    http::SetError(404, "not found", response);
  }
  if (endpoint != Endpoint::kOther && !read_method) {
    response->Reset();
    http::SetError(405, "use GET", response);
    response->headers.emplace_back("Allow", "GET, HEAD");
  }
  bidder_.metrics().CountRequest(endpoint, response->status);
  return endpoint;
}

}  // namespace vetrina::service
