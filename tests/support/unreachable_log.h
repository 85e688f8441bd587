// A shared storage::RecordLog whose store cannot be reached (Redis down): every append fails with
// Unavailable, and there is nothing to follow. For tests of what a fleet node answers then.
//
//   SpendWriter::Options options;
//   options.open_log = vetrina::testing::UnreachableLogOpener();
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/storage/record_log.h"

namespace vetrina::testing {

class UnreachableLog final : public storage::RecordLog {
 public:
  absl::Status Append(std::string_view) override { return Down(); }
  absl::Status Rewrite(const std::vector<std::string>&) override { return Down(); }
  absl::Status Follow(const ReplayFn&) override { return Down(); }
  absl::Status Reload(const ReplayFn&) override { return Down(); }
  bool echoes_appends() const override { return true; }
  size_t size_bytes() const override { return 0; }

 private:
  static absl::Status Down() { return absl::UnavailableError("redis: connection refused"); }
};

inline storage::LogOpener UnreachableLogOpener() {
  return [](const storage::RecordLog::ReplayFn&)
             -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
    return std::make_unique<UnreachableLog>();
  };
}

}  // namespace vetrina::testing
