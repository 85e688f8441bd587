// An append-only file of CRC-framed records. Append returns only once the record is on disk
// (write + fdatasync), so an acknowledged change survives kill -9 and power loss; a record torn
// by a crash is detected on open (length or CRC) and cut off.
//
//   absl::StatusOr<JournalPtr> journal = Journal::Open(dir + "/state.journal",
//       [&](std::string_view record) { return Apply(record); });
//   VETRINA_RETURN_IF_ERROR((*journal)->Append(record));   // durable when OK
//   VETRINA_RETURN_IF_ERROR((*journal)->Rewrite(records)); // compaction, atomic
//
// File: "VTJRNL01", then per record: u32 length (LE), u32 CRC-32 of the payload (LE), payload.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/storage/record_log.h"

namespace vetrina::storage {

// Told how long each fsync or fdatasync of a journal took (a latency histogram, say). Called
// with the journal's lock held: it must be quick and thread-safe.
using SyncObserver = std::function<void(absl::Duration elapsed)>;

struct JournalStats {
  size_t records = 0;
  size_t bytes = 0;
  size_t torn_tail_bytes = 0;  // dropped on open: an append a crash interrupted
};

class Journal;
using JournalPtr = std::unique_ptr<Journal>;

// One process's RecordLog. Thread-safe: appends are serialised. After an fdatasync failure every
// append fails.
class Journal final : public RecordLog {
 public:
  static constexpr size_t kMaxRecordBytes = 64 * 1024 * 1024;

  // Opens or creates `path`, calling `replay` for each intact record in order. A torn tail is
  // truncated away; damage anywhere else is DataLoss (the journal is left untouched). `on_sync`,
  // when set, is told the time every sync of this journal takes.
  static absl::StatusOr<JournalPtr> Open(const std::string& path, const ReplayFn& replay,
                                         JournalStats* stats = nullptr, SyncObserver on_sync = {});
  ~Journal() override;

  // Appends one record; returns once it is durable.
  absl::Status Append(std::string_view record) override;

  // Atomically replaces the whole journal with `records` (write a temporary file, fsync, rename,
  // fsync the directory). Used to compact.
  absl::Status Rewrite(const std::vector<std::string>& records) override;

  // Replays every record the file holds, from its start (a file has nothing to follow: this
  // process wrote all of it since Open).
  absl::Status Reload(const ReplayFn& replay) override;

  size_t size_bytes() const override;

 private:
  Journal(std::string path, int fd, size_t size, SyncObserver on_sync)
      : path_(std::move(path)), on_sync_(std::move(on_sync)), fd_(fd), size_(size) {}

  const std::string path_;
  const SyncObserver on_sync_;
  mutable absl::Mutex mu_;
  int fd_;
  size_t size_;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // set by a failed fdatasync; appends then fail
};

// Opens the file journal at `path` (the single node's log); `stats`, when given, receives what
// the open found; `on_sync`, when set, is told the time each of its syncs takes.
LogOpener JournalOpener(std::string path, JournalStats* stats = nullptr, SyncObserver on_sync = {});

// Writes `contents` to `path` atomically and durably (temporary file, fsync, rename, fsync dir).
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, int mode,
                                 const SyncObserver& on_sync = nullptr);

// fsyncs the directory holding `path`, making a rename or create in it durable.
absl::Status SyncParentDirectory(const std::string& path, const SyncObserver& on_sync = nullptr);

}  // namespace vetrina::storage
