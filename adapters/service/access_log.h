// The "access" log line of a sampled request: method, path (never the query string, which may
// carry user ids and consent strings), status, latency, response bytes and endpoint. The
// request's body, address and headers are never logged (docs/privacy.md).
//
//   AccessLog access_log(bidder.options().access_log_sample, seed);
//   access_log.Record(request, response, Endpoint::kBid, clock);  // after answering
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "adapters/http/http_types.h"
#include "adapters/service/metrics.h"
#include "base/clock.h"
#include "base/random.h"

namespace vetrina::service {

std::string_view MethodName(http::Method method);

// The "request_failed" warn line of a request answered 5xx: its endpoint, path (never the query
// string), status and why (`error`). At most kFailedRequestLinesPerSecond lines a second across
// the process, so an outage does not flood the log; the first line after a pause counts how
// many were left out. Thread-safe.
inline constexpr int kFailedRequestLinesPerSecond = 10;
void LogFailedRequest(Endpoint endpoint, std::string_view path, int status, std::string_view error);

// Not thread-safe: one per handler (each worker thread has its own).
class AccessLog {
 public:
  // `sample`: the fraction of requests logged, in [0, 1].
  AccessLog(double sample, uint64_t seed) : sample_(sample), rng_(seed) {}

  // Whether this request gets a line; with a sample of 0, one branch and no draw.
  bool Sample() { return sample_ > 0 && rng_.Bernoulli(sample_); }

  // What a handler logs of each request it answered: a "request_failed" line for a 5xx (but not
  // /readyz's 503 of a node still loading, which is by design), and the access line when the
  // request is sampled, now or when a deferred answer completes.
  void Record(const http::HttpRequest& request, http::HttpResponse* response, Endpoint endpoint,
              const Clock& clock);

  // Writes the line of a request answered at `now`.
  static void Write(const http::HttpRequest& request, const http::HttpResponse& response,
                    Endpoint endpoint, absl::Time now);
  // For an answer that waits (HttpResponse::defer): wraps `response->defer` so the line is
  // written when the answer is complete. The request's views die with Handle, so what the line
  // needs is copied now.
  static void WriteWhenAnswered(const http::HttpRequest& request, http::HttpResponse* response,
                                Endpoint endpoint, const Clock& clock);

 private:
  const double sample_;
  vetrina::Rng rng_;
};

}  // namespace vetrina::service
