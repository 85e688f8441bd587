// Captures the global logger's lines for a test: installs a Logger with a ManualClock and a sink
// that keeps every line, and restores the previous logger when it goes out of scope.
//
//   LogCapture log(LogLevel::kDebug);
//   ... code under test ...
//   CHECK(log.Count("audit") == 1);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/log.h"

namespace vetrina::testing {

class LogCapture {
 public:
  explicit LogCapture(LogLevel threshold = LogLevel::kDebug,
                      absl::Time now = absl::FromUnixSeconds(1'796'220'000))
      : clock_(now),
        logger_(clock_, threshold,
                [this](std::string_view line) {
                  absl::MutexLock lock(&mu_);
                  lines_.emplace_back(line);
                }),
        installed_(logger_) {}

  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  // The lines of `event` (their "event" field), in order.
  std::vector<std::string> Lines(std::string_view event) const {
    const std::string needle = "\"event\":\"" + std::string(event) + "\"";
    std::vector<std::string> out;
    for (std::string& line : lines()) {
      if (line.find(needle) != std::string::npos) out.push_back(std::move(line));
    }
    return out;
  }
  size_t Count(std::string_view event) const { return Lines(event).size(); }
  ManualClock& clock() { return clock_; }
  Logger& logger() { return logger_; }

 private:
  ManualClock clock_;
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  Logger logger_;
  ScopedGlobalLogger installed_;
};

}  // namespace vetrina::testing
