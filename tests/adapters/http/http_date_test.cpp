#include "adapters/http/http_date.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

namespace vetrina::http {
namespace {

std::string Format(absl::Time time) {
  char out[kImfFixdateSize];
  FormatImfFixdate(time, out);
  return std::string(out, kImfFixdateSize);
}

absl::Time Utc(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

TEST_CASE("IMF-fixdate, table-driven by the rule each row checks") {
  struct Row {
    const char* rule;
    absl::Time time;
    const char* expected;
  };
  const Row rows[] = {
      {"RFC 9110 §5.6.7 the specification's own example", Utc(1994, 11, 6, 8, 49, 37),
       "Sun, 06 Nov 1994 08:49:37 GMT"},
      {"RFC 9110 §5.6.7 day and time two digits, zero-padded", Utc(1970, 1, 1, 0, 0, 0),
       "Thu, 01 Jan 1970 00:00:00 GMT"},
      {"RFC 9110 §5.6.7 a leap day", Utc(2000, 2, 29, 23, 59, 59), "Tue, 29 Feb 2000 23:59:59 GMT"},
      {"RFC 9110 §5.6.7 past 2038", Utc(2040, 12, 31, 12, 0, 1), "Mon, 31 Dec 2040 12:00:01 GMT"},
      {"RFC 9110 §5.6.7 whole seconds: the fraction is dropped",
       Utc(2026, 7, 4, 10, 20, 30) + absl::Milliseconds(999), "Sat, 04 Jul 2026 10:20:30 GMT"},
      {"RFC 9110 §5.6.7 four-digit year: later years clamp", Utc(12000, 1, 1, 0, 0, 0),
       "Fri, 31 Dec 9999 23:59:59 GMT"},
      {"RFC 9110 §5.6.7 four-digit year: earlier years clamp", Utc(-5, 6, 1, 0, 0, 0),
       "Sat, 01 Jan 0000 00:00:00 GMT"},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(Format(row.time) == row.expected);
  }
}

TEST_CASE("the cached date changes with the second, not within it") {
  DateCache cache;
  const absl::Time start = Utc(2026, 3, 1, 9, 0, 0);
  CHECK(cache.Get(start) == "Sun, 01 Mar 2026 09:00:00 GMT");
  CHECK(cache.Get(start + absl::Milliseconds(999)) == "Sun, 01 Mar 2026 09:00:00 GMT");
  CHECK(cache.Get(start + absl::Seconds(1)) == "Sun, 01 Mar 2026 09:00:01 GMT");
  // A clock that steps back is followed too.
  CHECK(cache.Get(start - absl::Seconds(1)) == "Sun, 01 Mar 2026 08:59:59 GMT");
  CHECK(cache.Get(start + absl::Hours(24)) == "Mon, 02 Mar 2026 09:00:00 GMT");
}

TEST_CASE("before 1970 the second rounds down like the format does") {
  DateCache cache;
  const absl::Time before_epoch = absl::UnixEpoch() - absl::Milliseconds(500);
  CHECK(cache.Get(before_epoch) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(cache.Get(absl::UnixEpoch()) == "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace vetrina::http
