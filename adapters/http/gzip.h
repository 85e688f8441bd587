// gzip for HTTP bodies (zlib). Inflation is bounded so a small "gzip bomb" cannot exhaust memory.
//
//   absl::StatusOr<size_t> n = GzipInflate(body, 256 * 1024, &inflated);
//   // InvalidArgument: not gzip / corrupt -> 400; ResourceExhausted: over the limit -> 413
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace vetrina::http {

// Replaces `*out` with the inflation of `gzip`; fails once the output would exceed `max_bytes`.
absl::Status GzipInflate(std::string_view gzip, size_t max_bytes, std::string* out);

// Replaces `*out` with `data` compressed as gzip (fast level: this is on the response path).
void GzipDeflate(std::string_view data, std::string* out);

// Whether an Accept-Encoding header value admits gzip ("gzip", "br, gzip", but not "gzip;q=0").
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace vetrina::http
