#include "adapters/http/http_date.h"

#include <algorithm>

#include "absl/time/civil_time.h"

namespace vetrina::http {
namespace {

constexpr char kWeekdays[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Writes `value` as exactly `digits` decimal digits at `out`.
void PutDigits(int64_t value, int digits, char* out) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

int WeekdayIndex(absl::Weekday day) {
  switch (day) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

void FormatImfFixdate(absl::Time time, char (&out)[kImfFixdateSize]) {
  absl::CivilSecond civil = absl::ToCivilSecond(time, absl::UTCTimeZone());
  if (civil.year() < 0) civil = absl::CivilSecond(0, 1, 1, 0, 0, 0);
  if (civil.year() > 9999) civil = absl::CivilSecond(9999, 12, 31, 23, 59, 59);
  const char* weekday = kWeekdays[WeekdayIndex(absl::GetWeekday(civil))];
  const char* month = kMonths[civil.month() - 1];
  // "Www, DD Mmm YYYY hh:mm:ss GMT"
  std::copy_n(weekday, 3, out);
  out[3] = ',';
  out[4] = ' ';
  PutDigits(civil.day(), 2, out + 5);
  out[7] = ' ';
  std::copy_n(month, 3, out + 8);
  out[11] = ' ';
  PutDigits(civil.year(), 4, out + 12);
  out[16] = ' ';
  PutDigits(civil.hour(), 2, out + 17);
  out[19] = ':';
  PutDigits(civil.minute(), 2, out + 20);
  out[22] = ':';
  PutDigits(civil.second(), 2, out + 23);
  std::copy_n(" GMT", 4, out + 25);
}

std::string_view DateCache::Get(absl::Time now) {
  const int64_t second = absl::ToUnixSeconds(now);  // rounds down, before 1970 too
  if (second != second_) {
    FormatImfFixdate(now, text_);
    second_ = second;
  }
  return std::string_view(text_, kImfFixdateSize);
}

}  // namespace vetrina::http
