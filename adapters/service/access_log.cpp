#include "adapters/service/access_log.h"

#include <string>

#include "base/log.h"

namespace vetrina::service {
namespace {

void WriteLine(std::string_view method, std::string_view path, int status, absl::Duration latency,
               size_t bytes, Endpoint endpoint) {
  LogInfo("access")
      .Str("method", method)
      .Str("path", path)
      .Int("status", status)
      .Int("latency_us", absl::ToInt64Microseconds(latency))
      .Int("bytes", static_cast<int64_t>(bytes))
      .Str("endpoint", EndpointName(endpoint));
}

}  // namespace

std::string_view MethodName(http::Method method) {
  switch (method) {
    case http::Method::kGet:
      return "GET";
    case http::Method::kHead:
      return "HEAD";
    case http::Method::kPost:
      return "POST";
    case http::Method::kPut:
      return "PUT";
    case http::Method::kDelete:
      return "DELETE";
    case http::Method::kOther:
      break;
  }
  return "OTHER";
}

void AccessLog::Write(const http::HttpRequest& request, const http::HttpResponse& response,
                      Endpoint endpoint, absl::Time now) {
  WriteLine(MethodName(request.method), request.path, response.status, now - request.received_at,
            response.body.size(), endpoint);
}

void AccessLog::WriteWhenAnswered(const http::HttpRequest& request, http::HttpResponse* response,
                                  Endpoint endpoint, const Clock& clock) {
  response->defer = [defer = std::move(response->defer), response, endpoint, &clock,
                     method = MethodName(request.method), path = std::string(request.path),
                     received_at = request.received_at](std::function<void()> resume) {
    defer([response, endpoint, &clock, method, path, received_at, resume = std::move(resume)] {
      WriteLine(method, path, response->status, clock.Now() - received_at, response->body.size(),
                endpoint);
      resume();
    });
  };
}

}  // namespace vetrina::service
