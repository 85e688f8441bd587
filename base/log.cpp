#include "base/log.h"

#include <errno.h>
#include <unistd.h>

#include "absl/time/clock.h"

namespace vetrina {
namespace {

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

const Logger& DefaultLogger() {
  static const RealClock* const clock = new RealClock();
  static const Logger* const logger = new Logger(*clock, LogLevel::kInfo);
  return *logger;
}

std::atomic<const Logger*> global_logger{nullptr};

}  // namespace

std::string_view LogLevelName(LogLevel level) { return kLevelNames[static_cast<size_t>(level)]; }

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (name == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::string FormatLogTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

void WriteToStderr(std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report it
    line.remove_prefix(static_cast<size_t>(n));
  }
}

LogLine::LogLine(const Logger* logger, LogLevel level, std::string_view event)
    : logger_(logger != nullptr && logger->Enabled(level) ? logger : nullptr), writer_(&text_) {
  if (logger_ == nullptr) return;
  text_.reserve(256);
  writer_.BeginObject();
  writer_.Key("ts");
  writer_.String(FormatLogTime(logger_->clock().Now()));
  writer_.Key("level");
  writer_.String(LogLevelName(level));
  writer_.Key("event");
  writer_.String(event);
}

LogLine::~LogLine() {
  if (logger_ == nullptr) return;
  writer_.EndObject();
  text_.push_back('\n');
  logger_->Write(text_);
}

LogLine& LogLine::Str(std::string_view key, std::string_view value) {
  if (logger_ == nullptr) return *this;
  writer_.Key(key);
  writer_.String(value);
  return *this;
}

LogLine& LogLine::Int(std::string_view key, int64_t value) {
  if (logger_ == nullptr) return *this;
  writer_.Key(key);
  writer_.Int(value);
  return *this;
}

LogLine& LogLine::Double(std::string_view key, double value) {
  if (logger_ == nullptr) return *this;
  writer_.Key(key);
  writer_.Double(value);
  return *this;
}

LogLine& LogLine::Bool(std::string_view key, bool value) {
  if (logger_ == nullptr) return *this;
  writer_.Key(key);
  writer_.Bool(value);
  return *this;
}

LogLine& LogLine::Money(std::string_view key, int64_t micros) {
  if (logger_ == nullptr) return *this;
  writer_.Key(key);
  writer_.Price(micros);
  return *this;
}

LogLine& LogLine::Json(std::string_view key, std::string_view json) {
  if (logger_ == nullptr) return *this;
  // Written past the writer, which would not know a value followed; ts, level and event always
  // come first, so the comma is due.
  text_.append(",\"");
  AppendJsonEscaped(key, &text_);
  text_.append("\":");
  text_.append(json.empty() ? std::string_view("null") : json);
  return *this;
}

LogLine& LogLine::Status(const absl::Status& status) {
  if (logger_ == nullptr) return *this;
  writer_.Key("status");
  writer_.String(status.ToString());
  return *this;
}

bool FailureLog::Report(const absl::Status& status) {
  if (status.ok() == !failing_) return status.ok();
  failing_ = !status.ok();
  if (failing_) {
    LogWarn(failed_event_).Str("store", store_).Status(status);
  } else {
    LogInfo(resumed_event_).Str("store", store_);
  }
  return status.ok();
}

const Logger& GlobalLogger() {
  const Logger* logger = global_logger.load(std::memory_order_acquire);
  return logger != nullptr ? *logger : DefaultLogger();
}

const Logger* SetGlobalLogger(const Logger* logger) {
  return global_logger.exchange(logger, std::memory_order_acq_rel);
}

LogLine LogAt(LogLevel level, std::string_view event) {
  return LogLine(&GlobalLogger(), level, event);
}

}  // namespace vetrina
