// Structured logs: one JSON object per line on stderr, as operators' log shippers expect
// (docs/operations.md, "Logs"):
//
//   {"ts":"2026-12-02T14:00:00.123Z","level":"warn","event":"spend_journal","status":"..."}
//
// A line is built by a LogLine and written when it goes out of scope, in one write(2), so lines
// of concurrent threads never interleave. A line below the logger's threshold costs one branch
// per field; hot paths test Enabled() first so their fields are not even computed.
//
//   LogWarn("follower").Str("store", name).Status(status);
//   if (GlobalLogger().Enabled(LogLevel::kDebug)) LogDebug("detail").Int("n", Expensive());
//
// Tests install their own Logger (a ManualClock and a sink that keeps the lines) with
// ScopedGlobalLogger.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/json_writer.h"

namespace vetrina {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error".
std::string_view LogLevelName(LogLevel level);
// The inverse of LogLevelName; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

// The UTC time with milliseconds, as logs show it: "2026-12-02T14:00:00.123Z".
std::string FormatLogTime(absl::Time time);

// Writes `line` to stderr with one write(2) (retrying only the rest of a partial write).
void WriteToStderr(std::string_view line);

// Thread-safe: lines are built by their own thread and handed to the sink whole.
class Logger {
 public:
  // Receives each finished line, with its trailing '\n'; called from any thread at once.
  using Sink = std::function<void(std::string_view line)>;

  Logger(const Clock& clock, LogLevel threshold, Sink sink = WriteToStderr)
      : clock_(clock), threshold_(static_cast<uint8_t>(threshold)), sink_(std::move(sink)) {}

  bool Enabled(LogLevel level) const {
    return static_cast<uint8_t>(level) >= threshold_.load(std::memory_order_relaxed);
  }
  LogLevel threshold() const { return static_cast<LogLevel>(threshold_.load()); }
  void set_threshold(LogLevel level) { threshold_.store(static_cast<uint8_t>(level)); }
  const Clock& clock() const { return clock_; }

  // Hands a finished line to the sink.
  void Write(std::string_view line) const { sink_(line); }

 private:
  const Clock& clock_;
  std::atomic<uint8_t> threshold_;
  const Sink sink_;
};

// One log line under construction; written when destroyed, unless its level is off.
class LogLine {
 public:
  // `logger` may be null: the line is then off.
  LogLine(const Logger* logger, LogLevel level, std::string_view event);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  bool enabled() const { return logger_ != nullptr; }

  LogLine& Str(std::string_view key, std::string_view value);
  LogLine& Int(std::string_view key, int64_t value);
  LogLine& Double(std::string_view key, double value);
  LogLine& Bool(std::string_view key, bool value);
  // Money in micros as a decimal: 1250000 -> 1.25.
  LogLine& Money(std::string_view key, int64_t micros);
  // `json` is a complete JSON value the caller built (an object, an array), written as it is.
  LogLine& Json(std::string_view key, std::string_view json);
  // "status": the code and message ("UNAVAILABLE: redis is down"); "OK" when ok.
  LogLine& Status(const absl::Status& status);

 private:
  const Logger* logger_;
  std::string text_;
  JsonWriter writer_;
};

// The process's logger: info and up on stderr with the wall clock until replaced.
const Logger& GlobalLogger();
// Makes `logger` the process's logger (nullptr: back to the default) and returns the previous
// one. `logger` must outlive its time as the global one.
const Logger* SetGlobalLogger(const Logger* logger);

// Installs a logger for a scope (a test, main's lifetime) and restores the previous one.
class ScopedGlobalLogger {
 public:
  explicit ScopedGlobalLogger(const Logger& logger) : previous_(SetGlobalLogger(&logger)) {}
  ~ScopedGlobalLogger() { SetGlobalLogger(previous_); }
  ScopedGlobalLogger(const ScopedGlobalLogger&) = delete;
  ScopedGlobalLogger& operator=(const ScopedGlobalLogger&) = delete;

 private:
  const Logger* previous_;
};

// For a loop that retries an operation (following a shared log): logs a warn line with the
// status when it starts failing and an info line when it works again, not a line per attempt.
// Not thread-safe: one per loop.
class FailureLog {
 public:
  // `failed_event` and `resumed_event` name the lines; `store` is their "store" field.
  FailureLog(std::string_view failed_event, std::string_view resumed_event, std::string store)
      : failed_event_(failed_event), resumed_event_(resumed_event), store_(std::move(store)) {}
  // Returns status.ok().
  bool Report(const absl::Status& status);

 private:
  std::string_view failed_event_;
  std::string_view resumed_event_;
  std::string store_;
  bool failing_ = false;
};

// A line of the global logger at `level`.
LogLine LogAt(LogLevel level, std::string_view event);
inline LogLine LogDebug(std::string_view event) { return LogAt(LogLevel::kDebug, event); }
inline LogLine LogInfo(std::string_view event) { return LogAt(LogLevel::kInfo, event); }
inline LogLine LogWarn(std::string_view event) { return LogAt(LogLevel::kWarn, event); }
inline LogLine LogError(std::string_view event) { return LogAt(LogLevel::kError, event); }

}  // namespace vetrina
