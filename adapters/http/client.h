// A small blocking HTTP/1.1 client for command-line tools (`vetrina campaigns push`): one
// request per call, plain http only.
//
//   absl::StatusOr<ClientResponse> r = HttpCall("PUT", "http://127.0.0.1:9090/v1/campaigns/c1",
//                                               {{"Authorization", "Bearer ..."}}, body);
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vetrina::http {

struct ClientResponse {
  int status = 0;
  std::string body;
};

// InvalidArgument for a URL that is not http://host:port/path; Unavailable when the server
// cannot be reached or the exchange fails; DeadlineExceeded after `timeout`.
absl::StatusOr<ClientResponse> HttpCall(
    const std::string& method, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    absl::Duration timeout = absl::Seconds(30));

}  // namespace vetrina::http
