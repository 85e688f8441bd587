// The admin listener's handler: /healthz, /readyz and /metrics (later the admin API).
#pragma once

#include "adapters/http/http_types.h"
#include "adapters/service/bidder.h"

namespace vetrina::service {

// Not thread-safe: one per admin worker thread.
class AdminHandler final : public http::Handler {
 public:
  explicit AdminHandler(Bidder& bidder) : bidder_(bidder) {}
  void Handle(const http::HttpRequest& request, http::HttpResponse* response) override;

 private:
  Bidder& bidder_;
};

}  // namespace vetrina::service
