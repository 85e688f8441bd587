#include "adapters/service/process_metrics.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina::service {
namespace {

bool Has(const std::string& page, const std::string& line) {
  return page.find(line + "\n") != std::string::npos;
}

// proc(5): pid (comm) state ppid ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) ...
// The command name holds a space and a ") " to show that fields count from its last ')'.
constexpr std::string_view kStat =
    "4242 (vetrina ) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 "
    "250 75 0 0 20 0 9 0 "
    "360000 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 1 0 0 0 0 0\n";

TEST_CASE("stat: CPU time, memory and start time in their units") {
  ProcessSample sample;
  const ProcUnits units{
      .ticks_per_second = 100, .page_bytes = 4096, .boot_unix_seconds = 1'700'000'000};
  REQUIRE(ParseProcStat(kStat, units, &sample).ok());
  CHECK(sample.cpu_micros == 3'250'000);  // (250 + 75) ticks of 10 ms
  CHECK(sample.virtual_bytes == 104'857'600);
  CHECK(sample.resident_bytes == 2560 * 4096);
  CHECK(sample.start_unix_micros == (1'700'000'000 + 3'600) * int64_t{1'000'000});
}

TEST_CASE("stat: a line cut short or without a command name is refused") {
  ProcessSample sample;
  CHECK(!ParseProcStat("4242 vetrina S 1 2 3", ProcUnits{}, &sample).ok());
  CHECK(!ParseProcStat(kStat.substr(0, 60), ProcUnits{}, &sample).ok());
  CHECK(!ParseProcStat("", ProcUnits{}, &sample).ok());
  CHECK(!ParseProcStat(kStat, ProcUnits{.ticks_per_second = 0}, &sample).ok());
}

TEST_CASE("/proc/stat: btime is the boot time") {
  constexpr std::string_view kProcStat =
      "cpu  10 0 20 300 0 0 0 0 0 0\nintr 5 0\nctxt 99\nbtime 1700000000\nprocesses 12\n";
  absl::StatusOr<int64_t> boot = ParseBootTime(kProcStat);
  REQUIRE(boot.ok());
  CHECK(*boot == 1'700'000'000);
  CHECK(!ParseBootTime("cpu 1 2 3\n").ok());
  CHECK(!ParseBootTime("btime soon\n").ok());
}

TEST_CASE("limits: the soft limit of Max open files") {
  constexpr std::string_view kLimits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 1048576              files     \n"
      "Max locked memory         8388608              8388608              bytes     \n";
  absl::StatusOr<int64_t> max = ParseMaxOpenFiles(kLimits);
  REQUIRE(max.ok());
  CHECK(*max == 1024);
  max = ParseMaxOpenFiles("Max open files            unlimited            unlimited  files\n");
  REQUIRE(max.ok());
  CHECK(*max == -1);
  CHECK(!ParseMaxOpenFiles("Max processes  100  100  processes\n").ok());
  CHECK(!ParseMaxOpenFiles("Max open files  many  many  files\n").ok());
}

TEST_CASE("the sample renders as the standard process_* metrics") {
  const ProcessSample sample{.cpu_micros = 3'250'000,
                             .resident_bytes = 10'485'760,
                             .virtual_bytes = 104'857'600,
                             .open_fds = 17,
                             .max_fds = 1024,
                             .start_unix_micros = 1'700'003'600'500'000};
  std::string page;
  AppendProcessMetrics(sample, &page);
  CHECK(Has(page, "# TYPE process_cpu_seconds_total counter"));
  CHECK(Has(page, "process_cpu_seconds_total 3.250000"));
  CHECK(Has(page, "process_resident_memory_bytes 10485760"));
  CHECK(Has(page, "process_virtual_memory_bytes 104857600"));
  CHECK(Has(page, "process_open_fds 17"));
  CHECK(Has(page, "process_max_fds 1024"));
  CHECK(Has(page, "# TYPE process_start_time_seconds gauge"));
  CHECK(Has(page, "process_start_time_seconds 1700003600.500000"));
  page.clear();
  AppendProcessMetrics(ProcessSample{.max_fds = -1}, &page);
  CHECK(page.find("process_max_fds") == std::string::npos);  // unlimited: no number to give
}

TEST_CASE("this process's own sample is plausible") {
  absl::StatusOr<ProcessSample> sample = ReadProcessSample();
  REQUIRE(sample.ok());
  CHECK(sample->open_fds >= 3);  // stdin, stdout, stderr
  CHECK(sample->resident_bytes > 0);
  CHECK(sample->virtual_bytes >= sample->resident_bytes);
  CHECK(sample->start_unix_micros > int64_t{1'600'000'000} * 1'000'000);
}

}  // namespace
}  // namespace vetrina::service
