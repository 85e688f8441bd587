#include "adapters/audiences/membership_writer.h"

#include <cstdio>
#include <cstring>

#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::audiences {
namespace {

constexpr size_t kRecordBytes = 25;
constexpr size_t kCompactedChunk = 500'000;  // memberships per record when compacting

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
                                                           size_t compact_after_bytes) {
  MembershipWriterPtr writer(new MembershipWriter(store, clock, compact_after_bytes));
  const engine::Day today = engine::AudienceDay(clock.Now());
  std::vector<engine::AudienceUpdate> pending;
  storage::JournalStats stats;
  auto flush = [&] {
    store.Apply(std::move(pending), today);
    pending.clear();
  };
  VETRINA_ASSIGN_OR_RETURN(writer->journal_,
                           storage::Journal::Open(
                               data_dir + "/audiences.journal",
                               [&](std::string_view record) {
                                 VETRINA_RETURN_IF_ERROR(DecodeUpdates(record, &pending));
                                 writer->replayed_ += record.size() / kRecordBytes;
                                 if (pending.size() >= 1'000'000) flush();
                                 return absl::OkStatus();
                               },
                               &stats));
  flush();
  if (stats.records > 64 && writer->replayed_ > 2 * store.memberships()) {
    VETRINA_RETURN_IF_ERROR(writer->Compact(today));
  }
  return writer;
}

absl::Status MembershipWriter::Compact(engine::Day today) {
  // The journal becomes the live memberships, in a few large records, atomically.
  std::vector<std::string> records;
  std::vector<engine::AudienceUpdate> chunk;
  store_.ForEachMembership(
      today, [&](const engine::AudienceKey& key, engine::SegmentId segment, engine::Day expires) {
        chunk.push_back({key, segment, expires, false});
        if (chunk.size() == kCompactedChunk) {
          records.push_back(EncodeUpdates(chunk));
          chunk.clear();
        }
      });
  if (!chunk.empty()) records.push_back(EncodeUpdates(chunk));
  ++compactions_;
  return journal_->Rewrite(records);
}

void MembershipWriter::MaybeSweep() {
  const absl::Time now = clock_.Now();
  if (now - last_sweep_ < kSweepEvery) return;
  last_sweep_ = now;
  store_.Sweep(engine::AudienceDay(clock_.Now()));
}

absl::Status MembershipWriter::MaybeCompact() {
  const size_t live_bytes = store_.memberships() * kRecordBytes;
  if (journal_->size_bytes() < compact_after_bytes_ || journal_->size_bytes() < 4 * live_bytes) {
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

uint64_t MembershipWriter::Enqueue(std::vector<engine::AudienceUpdate>& updates) {
  queue_.insert(queue_.end(), updates.begin(), updates.end());
  return ++queued_ticket_;
}

uint64_t MembershipWriter::Submit(std::vector<engine::AudienceUpdate> updates) {
  absl::MutexLock lock(&mu_);
  auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.size() < kMaxQueued || stop_;
  };
  mu_.Await(absl::Condition(&room));
  return Enqueue(updates);
}

bool MembershipWriter::TrySubmit(std::vector<engine::AudienceUpdate> updates) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() + updates.size() > kMaxQueued) return false;
  Enqueue(updates);
  return true;
}

absl::Status MembershipWriter::WaitDurable(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  auto done = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return durable_ticket_ >= ticket || !failure_.ok();
  };
  mu_.Await(absl::Condition(&done));
  return failure_;
}

void MembershipWriter::Run() {
  for (;;) {
    std::vector<engine::AudienceUpdate> batch;
    uint64_t ticket = 0;
    bool idle = false;
    {
      absl::MutexLock lock(&mu_);
      if (!failure_.ok()) {
        // Fail-stop: after a journal failure nothing more is applied (it could not be
        // restored); waiters see the failure.
        queue_.clear();
        if (stop_) return;
        durable_ticket_ = queued_ticket_;
      }
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&work), absl::Milliseconds(100));
      if (queue_.empty()) {
        if (stop_) return;
        idle = true;
      } else {
        batch.swap(queue_);
        ticket = queued_ticket_;
      }
    }
    if (idle) {
      MaybeSweep();
      continue;
    }
    // Durable first, then visible: what a reader can see, a restart restores.
    absl::Status s = journal_->Append(EncodeUpdates(batch));
    if (s.ok()) {
      applied_ += batch.size();
      store_.Apply(std::move(batch), engine::AudienceDay(clock_.Now()));
      // Only this thread writes the journal and the store, so nothing changes meanwhile. A
      // failed compaction leaves the longer journal, still complete, in place.
      if (absl::Status c = MaybeCompact(); !c.ok()) {
        std::fprintf(stderr, "vetrina: audience journal compaction failed: %s\n",
                     c.ToString().c_str());
      }
    }
    absl::MutexLock lock(&mu_);
    if (!s.ok()) failure_ = s;
    durable_ticket_ = ticket;
  }
}

}  // namespace vetrina::audiences
