#include "adapters/admin/admin_api.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina::admin {
namespace {

bool HasRetryAfter(const http::HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Retry-After") return value == "1";
  }
  return false;
}

TEST_CASE("a refused or failed catalog call maps to one HTTP status", "[admin_api]") {
  struct Row {
    const char* rule;
    absl::Status status;
    int http;
    bool retry_after;
  };
  const Row rows[] = {
      {"a bad id or body is the caller's error", absl::InvalidArgumentError("bad"), 400, false},
      {"another advertiser's name is forbidden", absl::PermissionDeniedError("no"), 403, false},
      {"absent or not yours is not found", absl::NotFoundError("gone"), 404, false},
      {"an existing advertiser conflicts", absl::AlreadyExistsError("dup"), 409, false},
      {"too large", absl::ResourceExhaustedError("big"), 413, false},
      {"RFC 9110 §15.6.4: Redis down, retry later", absl::UnavailableError("down"), 503, true},
      {"RFC 9110 §15.6.4: Redis slow, retry later", absl::DeadlineExceededError("slow"), 503, true},
      {"anything else is the server's fault", absl::InternalError("bug"), 500, false},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    http::HttpResponse response;
    SetStatusError(row.status, &response);
    CHECK(response.status == row.http);
    CHECK(HasRetryAfter(response) == row.retry_after);
    CHECK(response.body.find(std::string(row.status.message())) != std::string::npos);
  }
}

}  // namespace
}  // namespace vetrina::admin
