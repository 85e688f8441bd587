#include "adapters/audiences/membership_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/privacy/user_data.h"

namespace vetrina::audiences {
namespace {

constexpr size_t kRecordBytes = 25;
// Memberships per record, when compacting and when appending to a shared log: 1 MB records,
// which one Redis call writes or reads quickly (the queue holds up to 2M updates).
constexpr size_t kUpdatesPerRecord = 40'000;

template <typename T>
void Put(std::string* out, T v) {
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i)
    bytes[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  out->append(bytes, sizeof(T));
}

template <typename T>
T Get(const char* in) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return static_cast<T>(v);
}

}  // namespace

std::string EncodeUpdates(const std::vector<engine::AudienceUpdate>& updates) {
  std::string out;
  out.reserve(updates.size() * kRecordBytes);
  for (const engine::AudienceUpdate& u : updates) {
    Put<uint64_t>(&out, u.key.hi);
    Put<uint64_t>(&out, u.key.lo);
    Put<uint32_t>(&out, u.segment);
    Put<uint32_t>(&out, static_cast<uint32_t>(u.expires));
    out.push_back(u.remove ? 1 : 0);
  }
  return out;
}

absl::Status DecodeUpdates(std::string_view record, std::vector<engine::AudienceUpdate>* out) {
  if (record.size() % kRecordBytes != 0) return absl::DataLossError("bad membership record");
  for (size_t at = 0; at < record.size(); at += kRecordBytes) {
    const char* p = record.data() + at;
    engine::AudienceUpdate u;
    u.key.hi = Get<uint64_t>(p);
    u.key.lo = Get<uint64_t>(p + 8);
    u.segment = Get<uint32_t>(p + 16);
    u.expires = static_cast<engine::Day>(Get<uint32_t>(p + 20));
    u.remove = p[24] != 0;
    if (u.segment > engine::kMaxSegmentId) return absl::DataLossError("bad segment id");
    out->push_back(u);
  }
  return absl::OkStatus();
}

absl::StatusOr<MembershipWriterPtr> MembershipWriter::Open(const std::string& data_dir,
                                                           engine::AudienceStore& store,
                                                           const vetrina::Clock& clock,
                                                           size_t compact_after_bytes,
                                                           const storage::LogOpener& open_log) {
  MembershipWriterPtr writer(new MembershipWriter(store, clock, compact_after_bytes));
  writer->last_compaction_ = clock.Now();
  const engine::Day today = engine::AudienceDay(clock.Now());
  std::vector<engine::AudienceUpdate> pending;
  size_t records = 0;
  auto flush = [&] {
    store.Apply(std::move(pending), today);
    pending.clear();
  };
  const storage::LogOpener opener =
      open_log ? open_log : storage::JournalOpener(data_dir + "/audiences.journal");
  VETRINA_ASSIGN_OR_RETURN(writer->log_, opener([&](std::string_view record) {
                             VETRINA_RETURN_IF_ERROR(DecodeUpdates(record, &pending));
                             writer->replayed_ += record.size() / kRecordBytes;
                             ++records;
                             if (pending.size() >= 1'000'000) flush();
                             return absl::OkStatus();
                           }));
  flush();
  writer->shared_ = writer->log_->echoes_appends();
  if (records > 64 && writer->replayed_ > 2 * store.memberships()) {
    VETRINA_RETURN_IF_ERROR(writer->Compact(today));
  }
  return writer;
}

absl::Status MembershipWriter::Compact(engine::Day today) {
  // The log becomes the live memberships, in a few large records, atomically.
  std::vector<std::string> records;
  std::vector<engine::AudienceUpdate> chunk;
  store_.ForEachMembership(
      today, [&](const engine::AudienceKey& key, engine::SegmentId segment, engine::Day expires) {
        chunk.push_back({key, segment, expires, false});
        if (chunk.size() == kUpdatesPerRecord) {
          records.push_back(EncodeUpdates(chunk));
          chunk.clear();
        }
      });
  if (!chunk.empty()) records.push_back(EncodeUpdates(chunk));
  ++compactions_;
  VETRINA_RETURN_IF_ERROR(log_->Rewrite(records));
  last_compaction_ = clock_.Now();
  return absl::OkStatus();
}

void MembershipWriter::EnforceRetention(bool log_read) {
  const absl::Time now = clock_.Now();
  if (now - last_sweep_ < engine::retention::kSweepEvery) return;
  last_sweep_ = now;
  const engine::Day today = engine::AudienceDay(now);
  store_.Sweep(today);
  if (!log_read || now - last_compaction_ < engine::retention::kJournalCompactEvery) return;
  if (absl::Status c = Compact(today); !c.ok()) {
    LogWarn("compaction_failed").Str("store", "audiences").Status(c);
  }
}

absl::Status MembershipWriter::MaybeCompact() {
  const size_t live_bytes = store_.memberships() * kRecordBytes;
  if (log_->size_bytes() < compact_after_bytes_ || log_->size_bytes() < 4 * live_bytes) {
    return absl::OkStatus();
  }
  return Compact(engine::AudienceDay(clock_.Now()));
}

MembershipWriter::~MembershipWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void MembershipWriter::Start() {
  thread_ = std::thread([this] { Run(); });
}

uint64_t MembershipWriter::Submit(std::vector<engine::AudienceUpdate> updates) {
  absl::MutexLock lock(&mu_);
  auto room = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queued() < kMaxQueued || stop_; };
  mu_.Await(absl::Condition(&room));
  queue_.insert(queue_.end(), updates.begin(), updates.end());
  return ++queued_ticket_;
}

bool MembershipWriter::TrySubmit(std::vector<engine::AudienceUpdate> updates) {
  absl::MutexLock lock(&mu_);
  if (queued() + updates.size() > kMaxQueued) return false;
  // No ticket: nobody waits for a pixel event.
  pixel_queue_.insert(pixel_queue_.end(), updates.begin(), updates.end());
  return true;
}

void MembershipWriter::RecordFailure(uint64_t first, uint64_t last, const absl::Status& status) {
  if (first > last) return;
  failed_.push_back({first, last, status});
  if (failed_.size() > kFailuresKept) {
    forgotten_through_ = failed_.front().last;
    forgotten_failure_ = failed_.front().status;
    failed_.pop_front();
  }
}

absl::Status MembershipWriter::WaitDurable(uint64_t first, uint64_t last) {
  absl::MutexLock lock(&mu_);
  auto done = [this, last]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return durable_ticket_ >= last || !failure_.ok();
  };
  mu_.Await(absl::Condition(&done));
  if (!failure_.ok() || last == 0) return failure_;
  if (first <= forgotten_through_) return forgotten_failure_;
  for (const FailedBatch& f : failed_) {
    if (f.first <= last && f.last >= first) return f.status;
  }
  return absl::OkStatus();
}

absl::Status MembershipWriter::ApplyRecord(std::string_view record) {
  std::vector<engine::AudienceUpdate> updates;
  VETRINA_RETURN_IF_ERROR(DecodeUpdates(record, &updates));
  applied_ += updates.size();
  store_.Apply(std::move(updates), engine::AudienceDay(clock_.Now()));
  return absl::OkStatus();
}

absl::Status MembershipWriter::Follow() {
  const storage::RecordLog::ReplayFn apply = [this](std::string_view record) {
    return ApplyRecord(record);
  };
  absl::Status s = log_->Follow(apply);
  if (absl::IsOutOfRange(s)) s = Reload();
  return s;
}

absl::Status MembershipWriter::Reload() {
  // Records this node had not read were compacted away, removals among them. Replaying the whole
  // log over the store restores every membership it holds (an update sets or removes one, so
  // re-applying one the store has changes nothing) and readers never see the store emptied; the
  // memberships it had that the log no longer adds are then removed.
  struct Held {
    engine::AudienceKey key;
    engine::SegmentId segment;
    bool operator<(const Held& o) const { return key == o.key ? segment < o.segment : key < o.key; }
  };
  const engine::Day today = engine::AudienceDay(clock_.Now());
  std::vector<Held> held;
  held.reserve(store_.memberships());
  store_.ForEachMembership(
      today, [&](const engine::AudienceKey& key, engine::SegmentId segment, engine::Day) {
        held.push_back({key, segment});
      });
  std::sort(held.begin(), held.end());
  std::vector<bool> added(held.size(), false);
  std::vector<engine::AudienceUpdate> pending;
  auto flush = [&] {
    applied_ += pending.size();
    store_.Apply(std::move(pending), today);
    pending.clear();
  };
  VETRINA_RETURN_IF_ERROR(log_->Reload([&](std::string_view record) -> absl::Status {
    const size_t from = pending.size();
    if (absl::Status s = DecodeUpdates(record, &pending); !s.ok()) return s;
    for (size_t i = from; i < pending.size(); ++i) {
      if (pending[i].remove) continue;
      engine::AudienceKey key = pending[i].key;
      if (key.hi == 0) key.hi = 1;  // as the store keeps it
      auto it = std::lower_bound(held.begin(), held.end(), Held{key, pending[i].segment});
      if (it != held.end() && it->key == key && it->segment == pending[i].segment) {
        added[static_cast<size_t>(it - held.begin())] = true;
      }
    }
    if (pending.size() >= 1'000'000) flush();
    return absl::OkStatus();
  }));
  flush();
  for (size_t i = 0; i < held.size(); ++i) {
    if (!added[i]) pending.push_back({held[i].key, held[i].segment, 0, true});
  }
  flush();
  return absl::OkStatus();
}

absl::Status MembershipWriter::AppendShared(std::vector<engine::AudienceUpdate>& uploads,
                                            std::vector<engine::AudienceUpdate>& pixels) {
  // In records of bounded size; an empty batch appends nothing: it only follows.
  absl::Status s;
  size_t pixels_appended = 0;
  for (std::vector<engine::AudienceUpdate>* updates : {&uploads, &pixels}) {
    for (size_t from = 0; s.ok() && from < updates->size(); from += kUpdatesPerRecord) {
      const size_t to = std::min(updates->size(), from + kUpdatesPerRecord);
      s = log_->Append(EncodeUpdates({updates->begin() + static_cast<std::ptrdiff_t>(from),
                                      updates->begin() + static_cast<std::ptrdiff_t>(to)}));
      if (s.ok() && updates == &pixels) pixels_appended = to;
    }
  }
  // Pixel events already in the log are not queued again (that would append them twice, after
  // newer changes).
  pixels.erase(pixels.begin(), pixels.begin() + static_cast<std::ptrdiff_t>(pixels_appended));
  // Durable once appended; applied (here as on every node) once followed past it.
  if (s.ok()) s = Follow();
  if (s.ok()) {
    // Followed to the end: the store holds everything the log does, so it may be compacted.
    if (absl::Status c = MaybeCompact(); !c.ok()) {
      LogWarn("compaction_failed").Str("store", "audiences").Status(c);
    }
    return s;
  }
  // A shared log's failure is transient. Pixel events wait for the next batch, as long as the
  // queue has room (the oldest go first); uploads are told, and their clients retry.
  absl::MutexLock lock(&mu_);
  if (pixels.size() + queued() > kMaxQueued) {
    const size_t drop = std::min(pixels.size(), pixels.size() + queued() - kMaxQueued);
    dropped_ += drop;
    pixels.erase(pixels.begin(), pixels.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  pixels.insert(pixels.end(), pixel_queue_.begin(), pixel_queue_.end());
  pixel_queue_.swap(pixels);
  return s;
}

void MembershipWriter::Run() {
  bool retry_later = false;
  vetrina::FailureLog shared_log_failures("shared_log_failed", "shared_log_resumed", "audiences");
  for (;;) {
    std::vector<engine::AudienceUpdate> batch;
    std::vector<engine::AudienceUpdate> pixels;
    uint64_t first = 0;
    uint64_t ticket = 0;
    bool idle = false;
    {
      absl::MutexLock lock(&mu_);
      if (!failure_.ok()) {
        // Fail-stop: after a journal failure nothing more is applied (it could not be
        // restored); waiters see the failure.
        queue_.clear();
        pixel_queue_.clear();
        if (stop_) return;
        durable_ticket_ = queued_ticket_;
      }
      // An empty Submit is work too: its ticket says "what was appended before is applied".
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return queued() > 0 || queued_ticket_ > durable_ticket_ || stop_;
      };
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (retry_later) {
        // The shared log just failed: give it a moment before the next attempt.
        mu_.AwaitWithTimeout(absl::Condition(&stopping), kRetryAfterFailure);
      } else {
        mu_.AwaitWithTimeout(absl::Condition(&work),
                             shared_ ? kFollowEvery : absl::Milliseconds(100));
      }
      const bool waited_on = queued_ticket_ > durable_ticket_;
      if (!waited_on && (queued() == 0 || (stop_ && retry_later))) {
        // Nothing anyone waits for: when stopping, pixel events a failing log would not take
        // are dropped.
        if (stop_) return;
        idle = true;
      } else {
        batch.swap(queue_);
        pixels.swap(pixel_queue_);
        first = durable_ticket_ + 1;
        ticket = queued_ticket_;
      }
    }
    retry_later = false;
    if (idle) {
      // Other nodes' records (their pixel events and uploads); after a failure, a pause.
      if (shared_) retry_later = !shared_log_failures.Report(Follow());
      EnforceRetention(!retry_later);
      continue;
    }
    if (shared_) {
      absl::Status s = AppendShared(batch, pixels);
      retry_later = !shared_log_failures.Report(s);
      EnforceRetention(s.ok());  // before the batch's tickets say it is applied
      absl::MutexLock lock(&mu_);
      if (!s.ok()) RecordFailure(first, ticket, s);
      durable_ticket_ = ticket;
      continue;
    }
    // Before the batch is acknowledged, so whatever a ticket waited for found retention
    // enforced as of its taking.
    EnforceRetention(true);
    batch.insert(batch.end(), pixels.begin(), pixels.end());
    if (batch.empty()) {
      absl::MutexLock lock(&mu_);
      durable_ticket_ = ticket;
      continue;
    }
    // Durable first, then visible: what a reader can see, a restart restores.
    absl::Status s = log_->Append(EncodeUpdates(batch));
    if (s.ok()) {
      applied_ += batch.size();
      store_.Apply(std::move(batch), engine::AudienceDay(clock_.Now()));
      // Only this thread writes the journal and the store, so nothing changes meanwhile. A
      // failed compaction leaves the longer journal, still complete, in place.
      if (absl::Status c = MaybeCompact(); !c.ok()) {
        LogWarn("compaction_failed").Str("store", "audiences").Status(c);
      }
    }
    if (!s.ok()) LogError("journal_failed").Str("store", "audiences").Status(s);
    absl::MutexLock lock(&mu_);
    if (!s.ok()) failure_ = s;
    durable_ticket_ = ticket;
  }
}

}  // namespace vetrina::audiences
