// The HTTP server's request and response as handlers see them: plain structs, no Beast, so
// handlers compile without Asio and are tested without a socket.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace vetrina::http {

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kOther };

// Valid only during Handler::Handle: views point into the connection's buffers.
struct HttpRequest {
  Method method = Method::kGet;
  std::string_view path;   // "/openrtb2/bid"
  std::string_view query;  // after '?', without it; "" when absent
  std::string_view body;   // already inflated when sent with Content-Encoding: gzip
  std::string_view authorization;
  std::string_view content_type;
  std::string_view openrtb_version;  // x-openrtb-version
  absl::Time received_at;            // when its first bytes reached this host (kernel receive time)
  int worker = 0;                    // index of the serving thread
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response
  // Set by a handler whose answer must wait (for a journal's fsync, say): the server calls it
  // once Handle returns, with a `resume` that the handler must call exactly once, from any
  // thread, after it has finished filling in this response. Until then the connection waits and
  // the worker serves others. The response object stays valid until `resume` is called.
  std::function<void(std::function<void()> resume)> defer;

  void Reset() {
    status = 200;
    body.clear();
    content_type = "application/json";
    headers.clear();
    close = false;
    defer = nullptr;
  }
};

// A request body taken piece by piece as it arrives, for uploads too large to buffer.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece of the body. False refuses the rest: Finish is called at once and the
  // connection closes after the response.
  virtual bool Append(std::string_view chunk) = 0;
  // Writes the response, once the body has ended or was refused.
  virtual void Finish(HttpResponse* response) = 0;
};

// Serves requests on one worker thread. Not thread-safe: the server creates one per worker and
// calls it only from that worker's thread.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(const HttpRequest& request, HttpResponse* response) = 0;
  // Called with the header (no body yet) of each request that has a body: a handler that wants
  // to take this body as a stream returns one; nullptr (the default) buffers the body and calls
  // Handle.
  virtual std::unique_ptr<BodyStream> OpenStream(const HttpRequest& /*head*/) { return nullptr; }
  // Answers a request the overloaded server will not serve (ServerOptions::admission), at once
  // and cheaply: by default 503 with Retry-After: 1.
  virtual void Shed(const HttpRequest& request, HttpResponse* response);
};
using HandlerPtr = std::unique_ptr<Handler>;

// Answers `status` with the body {"error": message}, the shape of every error Vetrina writes.
void SetError(int status, std::string_view message, HttpResponse* response);

// Called once on each worker thread, before that worker serves, with the worker's index.
using HandlerFactory = std::function<HandlerPtr(int worker)>;

}  // namespace vetrina::http
