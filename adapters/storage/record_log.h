// A durable, ordered log of opaque records: the seam between a store that keeps its state in
// memory (the catalog, the audience writer, the spend writer) and the place its changes are kept.
// The file Journal keeps one process's changes. A shared log (vetrina::fleet::RedisLog) is read
// by every node of a fleet, so a record one node appends is replayed by all of them.
//
//   VETRINA_RETURN_IF_ERROR(log->Append(record));        // durable when OK
//   if (log->echoes_appends()) { /* Follow replays it */ } else { Apply(record); }
//   absl::Status s = log->Follow(replay);                // records appended elsewhere
//   if (absl::IsOutOfRange(s)) { Clear(); s = log->Reload(replay); }
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/wire.h"

namespace vetrina::storage {

// Not thread-safe unless an implementation says so: its owner serialises the calls.
class RecordLog {
 public:
  using ReplayFn = std::function<absl::Status(std::string_view record)>;

  virtual ~RecordLog() = default;

  // Appends one record and returns once it is durable. A shared log can also answer:
  // - Aborted: its appends are conditional and records appended elsewhere have not been read
  //   yet; nothing was appended. The caller follows, checks its preconditions again and retries.
  // - Unavailable or DeadlineExceeded: the store could not be reached, or did not answer in
  //   time; the record may or may not have been appended (Follow then replays it if it was).
  virtual absl::Status Append(std::string_view record) = 0;

  // Atomically replaces the log with `records`: the state after every record read or appended
  // so far (compaction).
  virtual absl::Status Rewrite(const std::vector<std::string>& records) = 0;

  // Calls `replay` for each record appended elsewhere since the last call, in log order (and
  // for this log's own appends too when echoes_appends()). OutOfRange when records this log has
  // not read were compacted away: the caller clears its state and calls Reload. A file journal
  // has nothing to follow.
  virtual absl::Status Follow(const ReplayFn& /*replay*/) { return absl::OkStatus(); }

  // Calls `replay` for every record of the log, from its start.
  virtual absl::Status Reload(const ReplayFn& replay) = 0;

  // Whether this log's own appends come back through Follow, where the caller applies them
  // (so every node applies every record in the same order); false when the caller applies a
  // record itself once Append returns OK.
  virtual bool echoes_appends() const { return false; }

  // Bytes the log holds now; its owner compacts once this grows well past its live state.
  virtual size_t size_bytes() const = 0;
};

// A shared log can hand each record to its replay function together with the time its store
// took it (fleet::RedisLog::Options::stamp_entry_times): kTimedRecord, that time in Unix
// milliseconds (wire.h I64; 0 for the records of a compaction snapshot), then the record.
inline constexpr char kTimedRecord = '@';
inline std::string TimedRecord(int64_t unix_ms, std::string_view record) {
  ByteWriter w;
  w.Byte(kTimedRecord);
  w.I64(unix_ms);
  w.Raw(record);
  return std::move(w.mutable_bytes());
}
// Strips a TimedRecord's prefix from `*record`: its time, or nullopt for a snapshot's record
// (and for a record without the prefix). False when the prefix is cut short.
inline bool SplitTimedRecord(std::string_view* record, std::optional<absl::Time>* logged_at) {
  *logged_at = std::nullopt;
  if (record->empty() || record->front() != kTimedRecord) return true;
  ByteReader r(record->substr(1));
  int64_t ms = 0;
  if (!r.I64(&ms)) return false;
  if (ms > 0) *logged_at = absl::FromUnixMillis(ms);
  *record = record->substr(1 + r.position());
  return true;
}

// Opens a store's log, calling `replay` for every record it holds: how a store is told where its
// changes live (its file journal on a single node, a RedisLog in a fleet).
using LogOpener =
    std::function<absl::StatusOr<std::unique_ptr<RecordLog>>(const RecordLog::ReplayFn& replay)>;

}  // namespace vetrina::storage
