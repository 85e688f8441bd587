// A shared storage::RecordLog kept in memory, for tests that need a log's timing in hand: every
// MemoryLog on one SharedRecords reads the same records, appends echo back through Follow (as a
// fleet::RedisLog's do), and appends wait while the test holds the gate closed. A Rewrite
// replaces the records; another log that reads next gets OutOfRange, as behind a RedisLog's trim.
//
//   SharedRecords records;
//   options.open_log = MemoryLogOpener(records);
//   records.CloseGate();  ...  records.OpenGate();
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "adapters/storage/record_log.h"

namespace vetrina::testing {

struct SharedRecords {
  void CloseGate() {
    absl::MutexLock lock(&mu);
    gate_open = false;
  }
  void OpenGate() {
    absl::MutexLock lock(&mu);
    gate_open = true;
  }

  absl::Mutex mu;
  std::vector<std::string> records ABSL_GUARDED_BY(mu);
  uint64_t rewrites ABSL_GUARDED_BY(mu) = 0;
  bool gate_open ABSL_GUARDED_BY(mu) = true;
};

class MemoryLog final : public storage::RecordLog {
 public:
  explicit MemoryLog(SharedRecords& shared) : shared_(shared) {}

  absl::Status Append(std::string_view record) override {
    absl::MutexLock lock(&shared_.mu);
    shared_.mu.Await(absl::Condition(&shared_.gate_open));
    shared_.records.emplace_back(record);
    return absl::OkStatus();
  }
  absl::Status Rewrite(const std::vector<std::string>& records) override {
    absl::MutexLock lock(&shared_.mu);
    shared_.records = records;
    rewrites_seen_ = ++shared_.rewrites;
    read_ = records.size();  // the caller's state is the snapshot
    return absl::OkStatus();
  }
  absl::Status Follow(const ReplayFn& replay) override {
    std::vector<std::string> unread;
    {
      absl::MutexLock lock(&shared_.mu);
      if (shared_.rewrites != rewrites_seen_) {
        return absl::OutOfRangeError("the records were rewritten since this log read them");
      }
      unread.assign(shared_.records.begin() + static_cast<std::ptrdiff_t>(read_),
                    shared_.records.end());
    }
    for (const std::string& record : unread) {
      if (absl::Status s = replay(record); !s.ok()) return s;
      ++read_;
    }
    return absl::OkStatus();
  }
  absl::Status Reload(const ReplayFn& replay) override {
    {
      absl::MutexLock lock(&shared_.mu);
      rewrites_seen_ = shared_.rewrites;
    }
    read_ = 0;
    return Follow(replay);
  }
  bool echoes_appends() const override { return true; }
  size_t size_bytes() const override { return 0; }

 private:
  SharedRecords& shared_;
  size_t read_ = 0;
  uint64_t rewrites_seen_ = 0;
};

inline storage::LogOpener MemoryLogOpener(SharedRecords& shared) {
  return [&shared](const storage::RecordLog::ReplayFn& replay)
             -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
    auto log = std::make_unique<MemoryLog>(shared);
    if (absl::Status s = log->Follow(replay); !s.ok()) return s;
    return std::unique_ptr<storage::RecordLog>(std::move(log));
  };
}

}  // namespace vetrina::testing
