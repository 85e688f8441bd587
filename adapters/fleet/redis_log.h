// A RecordLog kept in Redis and shared by every node of a fleet. Three keys, one hash tag, so in
// a Redis Cluster they share a slot and every script may touch all of them:
//   vt:{NAME}:log   a stream; each entry is one record (field "r")
//   vt:{NAME}:snap  a list: the records of the last compaction (Rewrite)
//   vt:{NAME}:head  a string: the id of the last stream entry the snapshot includes ("0-0": none)
// A log is read as the snapshot, then the stream entries after the head's id. Rewrite replaces
// the snapshot and trims the stream up to the new head (the head's own entry stays, so the
// stream still ends where it did), so a node that has not read that far must Reload: Follow
// tells it with OutOfRange, as it does when the stream ends before what this log read (Redis
// lost entries). Every read and write is one Lua script, atomic in Redis. Redis' transient
// refusals (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN) come back as Unavailable. Stream
// ids are compared numerically ("ms-seq"); XRANGE's exclusive start needs Redis >= 6.2.
//
// Appends are durable once Redis has them under its AOF policy (docs/fleet.md: appendonly yes,
// appendfsync always). In conditional mode an append succeeds only when the stream ends at the
// last entry this log read, so a node that checks its preconditions against what it has read
// never appends on top of a change it has not seen (the catalog's compare-and-append).
//
//   absl::StatusOr<std::unique_ptr<RedisLog>> log =
//       RedisLog::Open(link, "catalog", replay, {.conditional_append = true});
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_link.h"
#include "adapters/storage/record_log.h"

namespace vetrina::fleet {

// Not thread-safe: the owner serialises calls (the RecordLog contract).
class RedisLog final : public storage::RecordLog {
 public:
  struct Options {
    // Appends fail with Aborted unless this log has read the whole stream (see above). Without
    // it, appends always land and come back through Follow (echoes_appends()).
    bool conditional_append = false;
    // Stream entries read per Follow round trip, at most, and the record bytes after which a
    // read stops (it always returns at least one entry).
    int follow_batch = 512;
    size_t follow_bytes = size_t{4} << 20;
    // How long Open, Reload and Rewrite wait for Redis: they move the whole log (a compacted
    // audience log is hundreds of MB), unlike appends and follows, which wait the link's
    // call_timeout.
    absl::Duration bulk_timeout = absl::Seconds(60);
    // Hand every record to `replay` as a storage::TimedRecord: with the time Redis took it (its
    // stream id's milliseconds), for stores whose rules depend on when a record arrived.
    bool stamp_entry_times = false;
  };

  // Reads the whole log (snapshot, then stream; each a page per round trip), calling `replay`
  // for each record. Fails with Redis' error when it cannot be read (Unavailable while Redis is
  // down). Open and Reload read every record before replaying any, so a compaction meanwhile
  // makes them read again, never replay half a log; Follow replays batch by batch.
  static absl::StatusOr<std::unique_ptr<RedisLog>> Open(const redis::RedisLink& link,
                                                        std::string name, const ReplayFn& replay,
                                                        Options options);

  // Conditional mode: Aborted when the stream does not end at last_id(); on OK last_id() is
  // the new entry. Otherwise the record always lands and last_id() stays (Follow replays it).
  absl::Status Append(std::string_view record) override;
  // `records` must be the state as of last_id(); entries after it stay in the stream.
  // FailedPrecondition when another node's snapshot is newer than last_id() (nothing changes).
  // A snapshot already at last_id() holds this state: it stays, and the call is OK. So a head
  // names one snapshot, and a snapshot read a page at a time under one head is consistent.
  absl::Status Rewrite(const std::vector<std::string>& records) override;
  absl::Status Follow(const ReplayFn& replay) override;
  absl::Status Reload(const ReplayFn& replay) override;
  bool echoes_appends() const override { return !options_.conditional_append; }
  size_t size_bytes() const override { return bytes_; }

  // One stream entry: its id and its record.
  struct Entry {
    std::string id;
    std::string record;
  };

  // The id of the last stream entry this log has read, or appended in conditional mode (the
  // snapshot's head when there is none; "0-0" for an empty log).
  const std::string& last_id() const { return last_id_; }
  // The stream's key, which routes every command of this log: "vt:{NAME}:log".
  const std::string& stream_key() const { return stream_key_; }

 private:
  RedisLog(const redis::RedisLink& link, std::string name, Options options);
  // Runs `script` with this log's three keys and `args`, waiting `timeout` (zero: the link's
  // call_timeout).
  // `extra_key`, when given, is the script's KEYS[4].
  absl::StatusOr<redis::RedisReply> Eval(std::string_view script, std::vector<std::string> args,
                                         absl::Duration timeout = absl::ZeroDuration(),
                                         std::string_view extra_key = {}) const;
  // The stream entries after `after`, as many as Options allow; `*more` when the stream goes
  // on past them. OutOfRange when the snapshot's head is newer, or the stream ends before
  // `after`.
  absl::StatusOr<std::vector<Entry>> ReadAfter(std::string_view after, absl::Duration timeout,
                                               bool* more) const;
  // What `replay` gets for an entry (`id` empty: a snapshot's record).
  std::string Handed(std::string_view id, std::string record) const;

  const redis::RedisLink& link_;
  const std::string name_;
  const Options options_;
  const std::string stream_key_;
  const std::string snapshot_key_;
  const std::string head_key_;
  std::string last_id_ = "0-0";
  size_t bytes_ = 0;
  // An unconditional append found the stream ending before last_id_: Follow answers OutOfRange
  // until a Reload.
  bool lost_entries_ = false;
};

}  // namespace vetrina::fleet
