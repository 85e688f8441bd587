// The Date header field's value (RFC 9110 §6.6.1) in IMF-fixdate, the one format a server sends
// (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". Formatting it for every response would
// cost more than the rest of the header, so each worker keeps one and reformats it only when the
// second changes.
//
//   DateCache date;                          // one per worker thread
//   out.append(date.Get(clock.Now()));       // "Sun, 06 Nov 1994 08:49:37 GMT"
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/time/time.h"

namespace vetrina::http {

inline constexpr size_t kImfFixdateSize = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// `time` in IMF-fixdate, in UTC, to the second (the fraction is dropped, rounding down). Years
// outside 0..9999 are clamped into that range: the format has four digits for the year.
void FormatImfFixdate(absl::Time time, char (&out)[kImfFixdateSize]);

// The current second's IMF-fixdate, formatted once per second. Not thread-safe: one per thread.
class DateCache {
 public:
  // The view stays valid until the next call.
  std::string_view Get(absl::Time now);

 private:
  int64_t second_ = std::numeric_limits<int64_t>::min();  // unix seconds `text_` shows
  char text_[kImfFixdateSize] = {};
};

}  // namespace vetrina::http
