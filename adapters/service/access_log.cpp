#include "adapters/service/access_log.h"

#include <atomic>
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

// Seconds since the epoch of the current window, lines written in it, lines left out since the
// last one written. Races between threads only blur the bound a little.
std::atomic<int64_t> failed_window{0};
std::atomic<int> failed_in_window{0};
std::atomic<uint64_t> failed_suppressed{0};

}  // namespace

void LogFailedRequest(Endpoint endpoint, std::string_view path, int status,
                      std::string_view error) {
  const Logger& logger = GlobalLogger();
  if (!logger.Enabled(LogLevel::kWarn)) return;
  const int64_t second = absl::ToUnixSeconds(logger.clock().Now());
  if (failed_window.exchange(second) != second) failed_in_window = 0;
  if (failed_in_window.fetch_add(1) >= kFailedRequestLinesPerSecond) {
    failed_suppressed.fetch_add(1);
    return;
  }
  constexpr size_t kMaxError = 300;
  LogLine line = LogWarn("request_failed");
  line.Str("endpoint", EndpointName(endpoint))
      .Str("path", path)
      .Int("status", status)
      .Str("error", error.substr(0, kMaxError));
  if (const uint64_t suppressed = failed_suppressed.exchange(0); suppressed > 0) {
    line.Int("suppressed", static_cast<int64_t>(suppressed));
  }
}

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

void AccessLog::Record(const http::HttpRequest& request, http::HttpResponse* response,
                       Endpoint endpoint, const Clock& clock) {
  if (response->status >= 500 && !response->defer && endpoint != Endpoint::kReadyz) {
    LogFailedRequest(endpoint, request.path, response->status, response->body);
  }
  if (!Sample()) return;
  if (response->defer) {
    WriteWhenAnswered(request, response, endpoint, clock);
  } else {
    Write(request, *response, endpoint, clock.Now());
  }
}

}  // namespace vetrina::service
