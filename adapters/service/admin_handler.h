// The admin listener's handler: /healthz, /readyz and /metrics; the status page (/, /static/...,
// /v1/status) goes to its handler, the rest of /v1/... to the admin API.
#pragma once

#include "adapters/http/http_types.h"
#include "adapters/service/access_log.h"
#include "adapters/service/bidder.h"

namespace vetrina::service {

// Not thread-safe: one per admin worker thread.
class AdminHandler final : public http::Handler {
 public:
  // `api`, when given, serves every path under /v1/; `status`, when given, the status page:
  // "/", "/static/..." and "/v1/status". Both are owned by this handler.
  explicit AdminHandler(Bidder& bidder, http::HandlerPtr api = nullptr,
                        http::HandlerPtr status = nullptr);
  void Handle(const http::HttpRequest& request, http::HttpResponse* response) override;
  std::unique_ptr<http::BodyStream> OpenStream(const http::HttpRequest& head) override {
    return api_ != nullptr && head.path.substr(0, 4) == "/v1/" ? api_->OpenStream(head) : nullptr;
  }

 private:
  // Serves the request and counts it; returns its endpoint.
  Endpoint Route(const http::HttpRequest& request, http::HttpResponse* response);

  Bidder& bidder_;
  http::HandlerPtr api_;
  http::HandlerPtr status_;
  AccessLog access_log_;
};

}  // namespace vetrina::service
