#include "adapters/service/admin_handler.h"

#include "adapters/service/bid_handler.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace vetrina::service {

void AdminHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  if (api_ != nullptr && request.path.substr(0, 4) == "/v1/") {
    api_->Handle(request, response);
    bidder_.metrics().CountRequest(Endpoint::kAdminApi, response->status);
    return;
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
    if (bidder_.in_fleet()) {
      StrAppend(&response->body,
                "# HELP vetrina_fleet_store_up Whether this node reaches the fleet's Redis.\n"
                "# TYPE vetrina_fleet_store_up gauge\nvetrina_fleet_store_up ",
                bidder_.fleet_health().ok() ? 1 : 0, "\n");
    }
  } else {
    http::SetError(404, "not found", response);
  }
  if (endpoint != Endpoint::kOther && !read_method) {
    response->Reset();
    http::SetError(405, "use GET", response);
    response->headers.emplace_back("Allow", "GET, HEAD");
  }
  bidder_.metrics().CountRequest(endpoint, response->status);
}

}  // namespace vetrina::service
