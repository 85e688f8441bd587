// The process_* metrics every Prometheus client exports (CPU time, memory, descriptors, start
// time), read from Linux's /proc. The parsing is pure, for tests on sample text; ReadProcess
// reads the files.
//
//   absl::StatusOr<ProcessSample> sample = ReadProcessSample();
//   if (sample.ok()) AppendProcessMetrics(*sample, &page);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vetrina::service {

// Times are in microseconds, so they render exactly as decimal seconds.
struct ProcessSample {
  int64_t cpu_micros = 0;  // user plus system CPU time
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
  int64_t open_fds = 0;
  int64_t max_fds = -1;           // the soft limit on open files; -1 when unlimited
  int64_t start_unix_micros = 0;  // when the process started, since the Unix epoch
};

// What turns /proc's units into ProcessSample's: clock ticks per second (sysconf(_SC_CLK_TCK)),
// the page size, and the boot time (/proc/stat's `btime`, Unix seconds).
struct ProcUnits {
  int64_t ticks_per_second = 100;
  int64_t page_bytes = 4096;
  int64_t boot_unix_seconds = 0;
};

// Fills the CPU time, memory and start time from /proc/<pid>/stat (proc(5)): utime, stime,
// starttime, vsize and rss are fields 14, 15, 22, 23 and 24, counted after the command name,
// which is in parentheses and may itself hold spaces and parentheses.
absl::Status ParseProcStat(std::string_view stat, const ProcUnits& units, ProcessSample* sample);
// The `btime` line of /proc/stat: the boot time in Unix seconds.
absl::StatusOr<int64_t> ParseBootTime(std::string_view proc_stat);
// The soft limit of "Max open files" in /proc/<pid>/limits; -1 for "unlimited".
absl::StatusOr<int64_t> ParseMaxOpenFiles(std::string_view limits);

// Reads this process's sample from /proc/self/{stat,fd,limits} and /proc/stat.
absl::StatusOr<ProcessSample> ReadProcessSample();

// Renders the sample as process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds (left out when unlimited)
// and process_start_time_seconds.
void AppendProcessMetrics(const ProcessSample& sample, std::string* out);

}  // namespace vetrina::service
