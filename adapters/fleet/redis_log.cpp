#include "adapters/fleet/redis_log.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <random>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::fleet {
namespace {

using redis::RedisReply;

// KEYS[1] = stream, KEYS[2] = snapshot list, KEYS[3] = head, in every script.

// Compares two stream ids "ms-seq" numerically (decimal digits without leading zeros).
constexpr std::string_view kLuaIdLess = R"lua(
local function id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
)lua";

// ARGV: entries, snapshot page. Returns {head, the snapshot's length, its first page, the first
// stream entries after the head}.
constexpr std::string_view kLuaRead = R"lua(
local head = redis.call('GET', KEYS[3]) or '0-0'
local length = redis.call('LLEN', KEYS[2])
local snap = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[2]) - 1)
local entries = redis.call('XRANGE', KEYS[1], '(' .. head, '+', 'COUNT', ARGV[1])
return {head, length, snap, entries}
)lua";

// ARGV: start, page. Returns {head, the snapshot's records from start (one page)}. A snapshot
// is never replaced without a new head (see kLuaRewrite), so pages read under one head belong
// together.
constexpr std::string_view kLuaSnapshotPage = R"lua(
local head = redis.call('GET', KEYS[3]) or '0-0'
local first = tonumber(ARGV[1])
return {head, redis.call('LRANGE', KEYS[2], first, first + tonumber(ARGV[2]) - 1)}
)lua";

// ARGV: last id read, batch, byte budget. Returns {head, the stream entries after the last id
// (at most `batch`, and no more once their records reach the budget, but at least one), the
// stream's last id (the head when it is empty)}. The budget keeps one reply (and the Lua state
// building it) small when records are large, such as a big upload's.
constexpr std::string_view kLuaFollow = R"lua(
local head = redis.call('GET', KEYS[3]) or '0-0'
local limit = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local entries = {}
local bytes = 0
local cursor = '(' .. ARGV[1]
while #entries < limit and bytes < budget do
  local page = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', math.min(16, limit - #entries))
  if #page == 0 then break end
  for _, e in ipairs(page) do
    if bytes >= budget then break end
    entries[#entries + 1] = e
    for i = 2, #e[2], 2 do bytes = bytes + #e[2][i] end
    cursor = '(' .. e[1]
  end
end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local tail
if #newest == 0 then tail = head else tail = newest[1][1] end
return {head, entries, tail}
)lua";

// ARGV: record. Returns {new id, the stream's last id before it (the head's when empty)}.
constexpr std::string_view kLuaAppend = R"lua(
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local tail
if #newest == 0 then tail = redis.call('GET', KEYS[3]) or '0-0' else tail = newest[1][1] end
return {redis.call('XADD', KEYS[1], '*', 'r', ARGV[1]), tail}
)lua";

// ARGV: last id read, record. Returns {1, new id}, or {0, the stream's last id} when the stream
// does not end at the last id read (nothing appended). An empty stream ends at the head.
constexpr std::string_view kLuaAppendIfLast = R"lua(
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local tail
if #newest == 0 then tail = redis.call('GET', KEYS[3]) or '0-0' else tail = newest[1][1] end
if tail ~= ARGV[1] then return {0, tail} end
return {1, redis.call('XADD', KEYS[1], '*', 'r', ARGV[2])}
)lua";

// KEYS[4] = the staging list a Rewrite filled. ARGV: last id read. Makes the staging list the
// snapshot: returns {1, head} once done, or {0, head} when the stored head is newer than the last
// id read (a newer snapshot stays). A snapshot at the same head already holds that state: it
// stays too ({1, head}), so a head names one snapshot and paged reads stay consistent. Only this
// short script is atomic: the records were pushed before it, a page per call, so Redis never
// spends one long script on a large log while every node waits.
constexpr std::string_view kLuaRewrite = R"lua(
local stored = redis.call('GET', KEYS[3])
local head = stored or '0-0'
if id_less(ARGV[1], head) or (stored and stored == ARGV[1]) then
  redis.call('DEL', KEYS[4])
  if id_less(ARGV[1], head) then return {0, head} end
  return {1, head}
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('RENAME', KEYS[4], KEYS[2])
  redis.call('PERSIST', KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
return {1, head}
)lua";

// Snapshot records read per round trip (records may be large: a page stays well under the
// link's call timeout).
constexpr int kSnapshotPage = 32;

// Redis' "try again" errors (loading its AOF, a busy script, a cluster in transition) reach us as
// FailedPrecondition with Redis' message; to the log's owner they mean Redis is unavailable.
absl::Status MapRedisError(absl::Status status) {
  if (!absl::IsFailedPrecondition(status)) return status;
  for (std::string_view transient : {"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN"}) {
    if (View(status.message()).starts_with(transient)) {
      return absl::UnavailableError(status.message());
    }
  }
  return status;
}

absl::Status Malformed(std::string_view what) {
  return absl::InternalError(StrCat("redis log: unexpected reply to ", what));
}

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};

bool ParseDecimal(std::string_view s, uint64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

absl::StatusOr<StreamId> ParseStreamId(std::string_view id) {
  const size_t dash = id.find('-');
  StreamId out;
  if (dash == std::string_view::npos || !ParseDecimal(id.substr(0, dash), &out.ms) ||
      !ParseDecimal(id.substr(dash + 1), &out.seq)) {
    return absl::InternalError(StrCat("redis log: not a stream id: ", id));
  }
  return out;
}

// Whether stream id `a` comes before `b`.
absl::StatusOr<bool> IdLess(std::string_view a, std::string_view b) {
  VETRINA_ASSIGN_OR_RETURN(StreamId x, ParseStreamId(a));
  VETRINA_ASSIGN_OR_RETURN(StreamId y, ParseStreamId(b));
  return x < y;
}

// XRANGE's reply: [[id, [field, value, ...]], ...]; the record is field "r".
absl::StatusOr<std::vector<RedisLog::Entry>> ParseEntries(RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray) return Malformed("XRANGE");
  std::vector<RedisLog::Entry> out;
  out.reserve(reply.elements.size());
  for (RedisReply& e : reply.elements) {
    if (e.type != RedisReply::Type::kArray || e.elements.size() != 2 ||
        e.elements[0].type != RedisReply::Type::kString ||
        e.elements[1].type != RedisReply::Type::kArray) {
      return Malformed("XRANGE");
    }
    std::vector<RedisReply>& fields = e.elements[1].elements;
    bool found = false;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "r") {
        out.push_back({std::move(e.elements[0].str), std::move(fields[i + 1].str)});
        found = true;
        break;
      }
    }
    if (!found) return Malformed("XRANGE (an entry without a record)");
  }
  return out;
}

}  // namespace

RedisLog::RedisLog(const redis::RedisLink& link, std::string name, Options options)
    : link_(link),
      name_(std::move(name)),
      options_(options),
      stream_key_(StrCat("vt:{", name_, "}:log")),
      snapshot_key_(StrCat("vt:{", name_, "}:snap")),
      head_key_(StrCat("vt:{", name_, "}:head")) {}

absl::StatusOr<std::unique_ptr<RedisLog>> RedisLog::Open(const redis::RedisLink& link,
                                                         std::string name, const ReplayFn& replay,
                                                         Options options) {
  std::unique_ptr<RedisLog> log(new RedisLog(link, std::move(name), options));
  VETRINA_RETURN_IF_ERROR(log->Reload(replay));
  return log;
}

absl::StatusOr<RedisReply> RedisLog::Eval(std::string_view script, std::vector<std::string> args,
                                          absl::Duration timeout,
                                          std::string_view extra_key) const {
  std::vector<std::string> command = {
      "EVAL",      std::string(script), extra_key.empty() ? "3" : "4",
      stream_key_, snapshot_key_,       head_key_};
  if (!extra_key.empty()) command.emplace_back(extra_key);
  command.reserve(command.size() + args.size());
  for (std::string& a : args) command.push_back(std::move(a));
  absl::StatusOr<RedisReply> reply = timeout == absl::ZeroDuration()
                                         ? link_.Call(stream_key_, std::move(command))
                                         : link_.Call(stream_key_, std::move(command), timeout);
  if (!reply.ok()) return MapRedisError(reply.status());
  return reply;
}

absl::StatusOr<std::vector<RedisLog::Entry>> RedisLog::ReadAfter(std::string_view after,
                                                                 absl::Duration timeout,
                                                                 bool* more) const {
  VETRINA_ASSIGN_OR_RETURN(RedisReply reply,
                           Eval(kLuaFollow,
                                {std::string(after), std::to_string(options_.follow_batch),
                                 std::to_string(options_.follow_bytes)},
                                timeout));
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 3 ||
      reply.elements[0].type != RedisReply::Type::kString ||
      reply.elements[2].type != RedisReply::Type::kString) {
    return Malformed("the follow script");
  }
  VETRINA_ASSIGN_OR_RETURN(bool trimmed, IdLess(after, reply.elements[0].str));
  if (trimmed) {
    return absl::OutOfRangeError(StrCat("redis log ", name_, ": entries after ", after,
                                        " were compacted into the snapshot at ",
                                        reply.elements[0].str, "; reload"));
  }
  // Stream ids only grow: a log that ends before what this node read lost entries (a Redis
  // without AOF restarted, a FLUSHALL). Reloading makes every node hold what Redis holds.
  VETRINA_ASSIGN_OR_RETURN(bool went_back, IdLess(reply.elements[2].str, after));
  if (went_back) {
    return absl::OutOfRangeError(StrCat("redis log ", name_, ": it ends at ", reply.elements[2].str,
                                        ", before ", after,
                                        " which this node read: Redis lost entries; reload"));
  }
  VETRINA_ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseEntries(reply.elements[1]));
  *more = !entries.empty() && entries.back().id != reply.elements[2].str;
  return entries;
}

absl::Status RedisLog::Reload(const ReplayFn& replay) {
  // Everything is read before anything is replayed: a compaction between two pages makes the
  // read start over, and the caller never sees half of a log.
  constexpr int kAttempts = 5;
  absl::Status status;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    VETRINA_ASSIGN_OR_RETURN(RedisReply reply, Eval(kLuaRead, {"1", std::to_string(kSnapshotPage)},
                                                    options_.bulk_timeout));
    if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 4 ||
        reply.elements[0].type != RedisReply::Type::kString ||
        reply.elements[1].type != RedisReply::Type::kInteger ||
        reply.elements[2].type != RedisReply::Type::kArray) {
      return Malformed("the read script");
    }
    const std::string head = reply.elements[0].str;
    const size_t length = static_cast<size_t>(reply.elements[1].integer);
    std::vector<std::string> records;
    records.reserve(length);
    for (RedisReply& r : reply.elements[2].elements)
      records.push_back(Handed("", std::move(r.str)));
    VETRINA_ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseEntries(reply.elements[3]));
    // The rest of the snapshot, a page per round trip.
    status = absl::OkStatus();
    while (records.size() < length) {
      VETRINA_ASSIGN_OR_RETURN(
          RedisReply page,
          Eval(kLuaSnapshotPage, {std::to_string(records.size()), std::to_string(kSnapshotPage)},
               options_.bulk_timeout));
      if (page.type != RedisReply::Type::kArray || page.elements.size() != 2 ||
          page.elements[0].type != RedisReply::Type::kString ||
          page.elements[1].type != RedisReply::Type::kArray) {
        return Malformed("the snapshot page script");
      }
      if (page.elements[0].str != head || page.elements[1].elements.empty()) {
        status = absl::OutOfRangeError("the snapshot was replaced while being read");
        break;
      }
      for (RedisReply& r : page.elements[1].elements) {
        records.push_back(Handed("", std::move(r.str)));
      }
    }
    if (absl::IsOutOfRange(status)) continue;
    std::string last = head;
    bool more = !entries.empty();  // the first read takes one entry: read on, bounded in bytes
    for (Entry& e : entries) {
      records.push_back(Handed(e.id, std::move(e.record)));
      last = std::move(e.id);
    }
    while (more) {
      absl::StatusOr<std::vector<Entry>> page = ReadAfter(last, options_.bulk_timeout, &more);
      if (!page.ok()) {
        status = page.status();
        break;
      }
      for (Entry& e : *page) {
        records.push_back(Handed(e.id, std::move(e.record)));
        last = std::move(e.id);
      }
    }
    if (absl::IsOutOfRange(status)) continue;
    VETRINA_RETURN_IF_ERROR(status);
    last_id_ = "0-0";
    bytes_ = 0;
    for (const std::string& r : records) {
      VETRINA_RETURN_IF_ERROR(replay(r));
      bytes_ += r.size();
    }
    last_id_ = std::move(last);
    lost_entries_ = false;
    return absl::OkStatus();
  }
  return status;
}

std::string RedisLog::Handed(std::string_view id, std::string record) const {
  if (!options_.stamp_entry_times) return record;
  StreamId stream_id;
  if (!id.empty()) {
    absl::StatusOr<StreamId> parsed = ParseStreamId(id);
    if (parsed.ok()) stream_id = *parsed;  // ids came from ParseEntries: always well formed
  }
  return storage::TimedRecord(static_cast<int64_t>(stream_id.ms), record);
}

absl::Status RedisLog::Follow(const ReplayFn& replay) {
  if (lost_entries_) {
    return absl::OutOfRangeError(
        StrCat("redis log ", name_, ": it ended before ", last_id_, " (Redis lost entries)"));
  }
  bool more = false;  // the stream goes on past what one read returned
  do {
    VETRINA_ASSIGN_OR_RETURN(std::vector<Entry> entries,
                             ReadAfter(last_id_, absl::ZeroDuration(), &more));
    for (Entry& e : entries) {
      // A record that cannot be replayed stops the follow there: skipping it would leave this
      // node's state different from the others'.
      bytes_ += e.record.size();
      VETRINA_RETURN_IF_ERROR(replay(Handed(e.id, std::move(e.record))));
      last_id_ = std::move(e.id);
    }
  } while (more);
  return absl::OkStatus();
}

absl::Status RedisLog::Append(std::string_view record) {
  if (!options_.conditional_append) {
    VETRINA_ASSIGN_OR_RETURN(RedisReply reply, Eval(kLuaAppend, {std::string(record)}));
    if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2 ||
        reply.elements[1].type != RedisReply::Type::kString) {
      return Malformed("the append script");
    }
    // A stream that ended before what this node read lost entries (Redis restarted without its
    // AOF): the new entry's id hides that from Follow, so remember it and reload there.
    VETRINA_ASSIGN_OR_RETURN(bool went_back, IdLess(reply.elements[1].str, last_id_));
    if (went_back) lost_entries_ = true;
    return absl::OkStatus();  // last_id_ stays: Follow replays the record
  }
  VETRINA_ASSIGN_OR_RETURN(RedisReply reply,
                           Eval(kLuaAppendIfLast, {last_id_, std::string(record)}));
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2 ||
      reply.elements[0].type != RedisReply::Type::kInteger ||
      reply.elements[1].type != RedisReply::Type::kString) {
    return Malformed("the conditional append script");
  }
  if (reply.elements[0].integer == 0) {
    return absl::AbortedError(StrCat("redis log ", name_, ": it ends at ", reply.elements[1].str,
                                     ", this node has read up to ", last_id_, "; follow first"));
  }
  last_id_ = std::move(reply.elements[1].str);
  bytes_ += record.size();
  return absl::OkStatus();
}

absl::Status RedisLog::Rewrite(const std::vector<std::string>& records) {
  // A staging list of this call's own (the same hash tag), so two nodes compacting at once never
  // mix their records; it expires should this node die before the switch.
  std::random_device random;
  const std::string staging = StrCat("vt:{", name_, "}:snap:staging:", random(), "-", random());
  auto call = [&](std::vector<std::string> command) {
    absl::StatusOr<RedisReply> reply =
        link_.Call(stream_key_, std::move(command), options_.bulk_timeout);
    return reply.ok() ? absl::OkStatus() : MapRedisError(reply.status());
  };
  size_t bytes = 0;
  absl::Status pushed;
  for (size_t from = 0; pushed.ok() && from < records.size();) {
    std::vector<std::string> command = {"RPUSH", staging};
    size_t page_bytes = 0;
    for (; from < records.size() && page_bytes < options_.follow_bytes; ++from) {
      command.push_back(records[from]);
      page_bytes += records[from].size();
    }
    const bool first_page = bytes == 0;
    bytes += page_bytes;
    pushed = call(std::move(command));
    if (pushed.ok() && first_page) pushed = call({"EXPIRE", staging, "3600"});
  }
  if (!pushed.ok()) {
    call({"DEL", staging}).IgnoreError();
    return pushed;
  }
  std::string script = StrCat(kLuaIdLess, kLuaRewrite);
  VETRINA_ASSIGN_OR_RETURN(RedisReply reply,
                           Eval(script, {last_id_}, options_.bulk_timeout, staging));
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2 ||
      reply.elements[0].type != RedisReply::Type::kInteger ||
      reply.elements[1].type != RedisReply::Type::kString) {
    return Malformed("the rewrite script");
  }
  if (reply.elements[0].integer == 0) {
    return absl::FailedPreconditionError(
        StrCat("redis log ", name_, ": its snapshot (at ", reply.elements[1].str,
               ") is newer than what this node has read (", last_id_, ")"));
  }
  bytes_ = bytes;
  return absl::OkStatus();
}

}  // namespace vetrina::fleet
