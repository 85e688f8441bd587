#include "adapters/service/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "adapters/service/metrics.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::service {
namespace {

bool ParseInt(std::string_view text, int64_t* value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

absl::StatusOr<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<int64_t> CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return absl::UnavailableError("cannot read /proc/self/fd");
  int64_t fds = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++fds;
  }
  ::closedir(dir);
  return fds - 1;  // the directory's own descriptor, open while it is read
}

void AppendGauge(std::string_view name, std::string_view help, std::string_view type,
                 std::string_view value, std::string* out) {
  StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ", value,
            "\n");
}

}  // namespace

absl::Status ParseProcStat(std::string_view stat, const ProcUnits& units, ProcessSample* sample) {
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string_view::npos) {
    return absl::InvalidArgumentError("stat: no command name");
  }
  // Fields from the 3rd (state) on.
  const std::vector<std::string_view> fields = SplitSpaces(stat.substr(name_end + 1));
  auto field = [&](size_t number, int64_t* value) {
    return number - 3 < fields.size() && ParseInt(fields[number - 3], value);
  };
  int64_t utime = 0, stime = 0, starttime = 0, vsize = 0, rss = 0;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &starttime) || !field(23, &vsize) ||
      !field(24, &rss) || units.ticks_per_second <= 0) {
    return absl::InvalidArgumentError("stat: fields 14, 15, 22, 23 or 24 missing or malformed");
  }
  sample->cpu_micros = (utime + stime) * 1'000'000 / units.ticks_per_second;
  sample->virtual_bytes = vsize;
  sample->resident_bytes = rss * units.page_bytes;
  sample->start_unix_micros =
      units.boot_unix_seconds * 1'000'000 + starttime * 1'000'000 / units.ticks_per_second;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseBootTime(std::string_view proc_stat) {
  constexpr std::string_view kKey = "btime ";
  for (size_t start = 0; start < proc_stat.size();) {
    size_t end = proc_stat.find('\n', start);
    if (end == std::string_view::npos) end = proc_stat.size();
    const std::string_view line = proc_stat.substr(start, end - start);
    int64_t seconds = 0;
    if (line.substr(0, kKey.size()) == kKey &&
        ParseInt(StripAsciiWhitespace(line.substr(kKey.size())), &seconds)) {
      return seconds;
    }
    start = end + 1;
  }
  return absl::InvalidArgumentError("/proc/stat: no btime line");
}

absl::StatusOr<int64_t> ParseMaxOpenFiles(std::string_view limits) {
  constexpr std::string_view kKey = "Max open files";
  const size_t at = limits.find(kKey);
  if (at == std::string_view::npos) return absl::InvalidArgumentError("limits: no Max open files");
  size_t end = limits.find('\n', at);
  if (end == std::string_view::npos) end = limits.size();
  // "Max open files  <soft>  <hard>  files"
  const std::vector<std::string_view> fields =
      SplitSpaces(limits.substr(at + kKey.size(), end - at - kKey.size()));
  if (fields.empty()) return absl::InvalidArgumentError("limits: Max open files has no value");
  if (fields[0] == "unlimited") return -1;
  int64_t soft = 0;
  if (!ParseInt(fields[0], &soft)) {
    return absl::InvalidArgumentError("limits: Max open files is not a number");
  }
  return soft;
}

absl::StatusOr<ProcessSample> ReadProcessSample() {
  VETRINA_ASSIGN_OR_RETURN(const std::string proc_stat, ReadFile("/proc/stat"));
  VETRINA_ASSIGN_OR_RETURN(const int64_t boot, ParseBootTime(proc_stat));
  const ProcUnits units{.ticks_per_second = ::sysconf(_SC_CLK_TCK),
                        .page_bytes = ::sysconf(_SC_PAGESIZE),
                        .boot_unix_seconds = boot};
  ProcessSample sample;
  VETRINA_ASSIGN_OR_RETURN(const std::string stat, ReadFile("/proc/self/stat"));
  VETRINA_RETURN_IF_ERROR(ParseProcStat(stat, units, &sample));
  VETRINA_ASSIGN_OR_RETURN(const std::string limits, ReadFile("/proc/self/limits"));
  VETRINA_ASSIGN_OR_RETURN(sample.max_fds, ParseMaxOpenFiles(limits));
  VETRINA_ASSIGN_OR_RETURN(sample.open_fds, CountOpenFds());
  return sample;
}

void AppendProcessMetrics(const ProcessSample& sample, std::string* out) {
  std::string value;
  AppendDecimalMillionths(sample.cpu_micros, &value);
  AppendGauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
              "counter", value, out);
  AppendGauge("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
              StrCat(sample.resident_bytes), out);
  AppendGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
              StrCat(sample.virtual_bytes), out);
  AppendGauge("process_open_fds", "Number of open file descriptors.", "gauge",
              StrCat(sample.open_fds), out);
  if (sample.max_fds >= 0) {
    AppendGauge("process_max_fds", "Maximum number of open file descriptors.", "gauge",
                StrCat(sample.max_fds), out);
  }
  value.clear();
  AppendDecimalMillionths(sample.start_unix_micros, &value);
  AppendGauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", "gauge", value, out);
}

}  // namespace vetrina::service
