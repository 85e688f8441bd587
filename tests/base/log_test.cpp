#include "base/log.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace vetrina {
namespace {

const absl::Time kNoon = absl::FromUnixMillis(1'796'220'000'123);  // 2026-12-02T14:00:00.123Z

// A sink that keeps every line it is handed.
struct CapturedLines {
  absl::Mutex mu;
  std::vector<std::string> lines;
  Logger::Sink Sink() {
    return [this](std::string_view line) {
      absl::MutexLock lock(&mu);
      lines.emplace_back(line);
    };
  }
};

TEST_CASE("a line is one JSON object with ts, level and event first, then the fields") {
  ManualClock clock(kNoon);
  CapturedLines captured;
  Logger logger(clock, LogLevel::kInfo, captured.Sink());
  LogLine(&logger, LogLevel::kWarn, "spend_journal")
      .Str("store", "notices \"main\"")
      .Int("queued", -3)
      .Bool("fleet", true)
      .Money("spend", 1'250'000)
      .Json("config", R"({"threads":2})")
      .Status(absl::UnavailableError("redis down"));
  REQUIRE(captured.lines.size() == 1);
  CHECK(captured.lines[0] ==
        "{\"ts\":\"2026-12-02T14:00:00.123Z\",\"level\":\"warn\",\"event\":\"spend_journal\","
        "\"store\":\"notices \\\"main\\\"\",\"queued\":-3,\"fleet\":true,\"spend\":1.25,"
        "\"config\":{\"threads\":2},\"status\":\"UNAVAILABLE: redis down\"}\n");
}

TEST_CASE("lines below the threshold are not written, and the threshold moves at run time") {
  ManualClock clock(kNoon);
  CapturedLines captured;
  Logger logger(clock, LogLevel::kWarn, captured.Sink());
  CHECK_FALSE(logger.Enabled(LogLevel::kInfo));
  CHECK(logger.Enabled(LogLevel::kError));
  {
    LogLine off(&logger, LogLevel::kInfo, "summary");
    CHECK_FALSE(off.enabled());
    off.Int("requests", 1);
  }
  LogLine(&logger, LogLevel::kError, "crash");
  CHECK(captured.lines.size() == 1);
  logger.set_threshold(LogLevel::kDebug);
  LogLine(&logger, LogLevel::kDebug, "detail");
  REQUIRE(captured.lines.size() == 2);
  CHECK(captured.lines[1].find("\"level\":\"debug\"") != std::string::npos);
}

TEST_CASE("the injected clock stamps the line in UTC with milliseconds") {
  ManualClock clock(kNoon);
  CapturedLines captured;
  Logger logger(clock, LogLevel::kDebug, captured.Sink());
  clock.Advance(absl::Milliseconds(61'001));
  LogLine(&logger, LogLevel::kInfo, "x");
  REQUIRE(captured.lines.size() == 1);
  CHECK(captured.lines[0].rfind("{\"ts\":\"2026-12-02T14:01:01.124Z\"", 0) == 0);
  CHECK(FormatLogTime(absl::FromUnixSeconds(0)) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("level names parse back, and nothing else does") {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    CHECK(ParseLogLevel(LogLevelName(level)) == level);
  }
  CHECK(LogLevelName(LogLevel::kWarn) == "warn");
  CHECK_FALSE(ParseLogLevel("warning").has_value());
  CHECK_FALSE(ParseLogLevel("INFO").has_value());
  CHECK_FALSE(ParseLogLevel("").has_value());
}

TEST_CASE("the global logger is the installed one for its scope") {
  ManualClock clock(kNoon);
  CapturedLines captured;
  Logger logger(clock, LogLevel::kInfo, captured.Sink());
  const Logger* before = &GlobalLogger();
  {
    ScopedGlobalLogger installed(logger);
    CHECK(&GlobalLogger() == &logger);
    LogInfo("audit").Str("who", "admin");
    LogDebug("hidden");
  }
  CHECK(&GlobalLogger() == before);
  REQUIRE(captured.lines.size() == 1);
  CHECK(captured.lines[0].find("\"event\":\"audit\",\"who\":\"admin\"") != std::string::npos);
}

TEST_CASE("a retried operation logs when it starts failing and when it works again, once each") {
  ManualClock clock(kNoon);
  CapturedLines captured;
  Logger logger(clock, LogLevel::kInfo, captured.Sink());
  ScopedGlobalLogger installed(logger);
  FailureLog failures("shared_log_failed", "shared_log_resumed", "notices");
  CHECK(failures.Report(absl::OkStatus()));
  CHECK(captured.lines.empty());
  CHECK_FALSE(failures.Report(absl::UnavailableError("down")));
  CHECK_FALSE(failures.Report(absl::UnavailableError("still down")));
  CHECK(failures.Report(absl::OkStatus()));
  CHECK(failures.Report(absl::OkStatus()));
  REQUIRE(captured.lines.size() == 2);
  CHECK(captured.lines[0].find("\"level\":\"warn\",\"event\":\"shared_log_failed\","
                               "\"store\":\"notices\",\"status\":\"UNAVAILABLE: down\"") !=
        std::string::npos);
  CHECK(captured.lines[1].find("\"level\":\"info\",\"event\":\"shared_log_resumed\"") !=
        std::string::npos);
}

TEST_CASE("lines of concurrent threads reach the sink whole, one call each") {
  ManualClock clock(kNoon);
  CapturedLines captured;
  Logger logger(clock, LogLevel::kInfo, captured.Sink());
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < kLines; ++i) {
        LogLine(&logger, LogLevel::kInfo, "access").Int("thread", t).Int("i", i);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE(captured.lines.size() == kThreads * kLines);
  for (const std::string& line : captured.lines) {
    CHECK(line.front() == '{');
    CHECK(line.substr(line.size() - 2) == "}\n");
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  }
}

}  // namespace
}  // namespace vetrina
