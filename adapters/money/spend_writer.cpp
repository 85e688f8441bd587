#include "adapters/money/spend_writer.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "base/log.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/wire.h"
#include "engine/privacy/user_data.h"

namespace vetrina::money {
namespace {

// Record kinds. A batch of effects: 'E', count, effects. A compaction snapshot: 'S', then items
// each led by their kind byte.
constexpr uint8_t kEffects = 'E';
constexpr uint8_t kSnapshot = 'S';
constexpr uint8_t kBidCounts = 'N';  // campaign, bids since the last such record
// A shared log's records. A batch of notices: 'T', origin node id, its incarnation, count, then
// per notice its sequence, time and the notice (EncodeNotice). Bid counts: 'M', origin node id,
// its incarnation, then campaign, bids since the last such record of that origin.
constexpr uint8_t kNoticesWithoutLease = 'T';  // written before leases; still read
constexpr uint8_t kNotices = 'U';              // the same, the tokens with their lease
constexpr uint8_t kFleetBidCounts = 'M';
constexpr uint8_t kAccountItem = 'A';
constexpr uint8_t kCtrItem = 'C';
constexpr uint8_t kFrequencyItem = 'F';
constexpr uint8_t kBidItem = 'B';
constexpr uint8_t kLeaseItem = 'L';  // campaign, lease node, epoch, charged, last charge (Unix s)
constexpr size_t kItemsPerRecord = 50'000;
constexpr size_t kMaxEffectBytes = 8 * 1024;

absl::Status Malformed() { return absl::DataLossError("malformed spend journal record"); }

void EncodeNotice(const engine::Notice& notice, const engine::BudgetLimits& limits,
                  vetrina::ByteWriter& w) {
  w.Byte(static_cast<uint8_t>(notice.kind));
  engine::WriteNoticeTokenFields(notice.token, w);
  w.Byte(notice.reported_price ? 1 : 0);
  w.I64(notice.reported_price.value_or(0));
  w.I64(limits.daily);
  w.I64(limits.lifetime);
  w.Byte(limits.closed ? 1 : 0);
}

bool DecodeNotice(vetrina::ByteReader& r, bool with_lease, engine::Notice* notice,
                  engine::BudgetLimits* limits) {
  uint8_t kind, has_price, closed;
  int64_t price;
  if (!r.Byte(&kind) || kind > static_cast<uint8_t>(engine::NoticeKind::kClick) ||
      !engine::ReadNoticeTokenFields(r, &notice->token, with_lease) || !r.Byte(&has_price) ||
      !r.I64(&price) || !r.I64(&limits->daily) || !r.I64(&limits->lifetime) || !r.Byte(&closed)) {
    return false;
  }
  notice->kind = static_cast<engine::NoticeKind>(kind);
  notice->reported_price = has_price ? std::optional<engine::Micros>(price) : std::nullopt;
  limits->closed = closed != 0;
  return true;
}

uint64_t RandomIncarnation() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

SpendWriter::SpendWriter(engine::MoneyState& money, const vetrina::Clock& clock, Options options)
    : money_(money),
      clock_(clock),
      node_id_(std::move(options.node_id)),
      max_waiting_(options.max_waiting),
      incarnation_(RandomIncarnation()),
      compact_after_bytes_(options.compact_after_bytes),
      book_(money),
      lease_terms_(options.leases) {
  if (options.leases) {
    book_.UseLeases(*options.leases);
    money_.ledger.RequireLeases(incarnation_);
  }
}

absl::StatusOr<SpendWriterPtr> SpendWriter::Open(const std::string& data_dir,
                                                 engine::MoneyState& money,
                                                 const vetrina::Clock& clock, Options options) {
  const storage::LogOpener opener =
      options.open_log ? options.open_log
                       : storage::JournalOpener(StrCat(data_dir, "/spend.journal"));
  SpendWriterPtr writer(new SpendWriter(money, clock, std::move(options)));
  SpendWriter* w = writer.get();
  absl::MutexLock lock(&w->mu_);
  absl::StatusOr<std::unique_ptr<storage::RecordLog>> log = opener(
      [w](std::string_view record) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->Replay(record); });
  if (!log.ok()) return log.status();
  w->log_ = *std::move(log);
  w->shared_ = w->log_->echoes_appends();
  w->live_bytes_ = w->log_->size_bytes();
  w->last_compaction_ = clock.Now();
  return writer;
}

absl::StatusOr<SpendWriterPtr> SpendWriter::Open(const std::string& data_dir,
                                                 engine::MoneyState& money,
                                                 const vetrina::Clock& clock,
                                                 size_t compact_after_bytes) {
  Options options;
  options.compact_after_bytes = compact_after_bytes;
  return Open(data_dir, money, clock, std::move(options));
}

absl::Status SpendWriter::ReplayNotices(vetrina::ByteReader& r, bool with_lease,
                                        std::optional<absl::Time> logged_at,
                                        std::vector<Completion>* completions) {
  std::string_view origin;
  uint64_t incarnation, count;
  if (!r.String(&origin) || !r.U64(&incarnation) || !r.U64(&count)) return Malformed();
  const bool mine = origin == node_id_ && incarnation == incarnation_;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t sequence;
    int64_t at;
    engine::Notice notice;
    engine::BudgetLimits limits;
    if (!r.U64(&sequence) || !r.I64(&at) || !DecodeNotice(r, with_lease, &notice, &limits)) {
      return Malformed();
    }
    // The record's time, not this node's: every node decides the same.
    engine::NoticeResult result = book_.Apply(notice, limits, absl::FromUnixMicros(at), logged_at);
    ++replayed_;
    if (!mine) continue;
    auto it = waiting_by_sequence_.find(sequence);
    if (it == waiting_by_sequence_.end()) continue;  // already failed (the append timed out)
    if (completions != nullptr) completions->push_back({std::move(it->second), std::move(result)});
    waiting_by_sequence_.erase(it);
  }
  return r.done() ? absl::OkStatus() : Malformed();
}

absl::Status SpendWriter::Replay(std::string_view record, std::vector<Completion>* completions) {
  const absl::Time now = clock_.Now();
  std::optional<absl::Time> logged_at;
  if (!storage::SplitTimedRecord(&record, &logged_at)) return Malformed();
  vetrina::ByteReader r(record);
  uint8_t kind;
  if (!r.Byte(&kind)) return Malformed();
  if (kind == kNotices || kind == kNoticesWithoutLease) {
    return ReplayNotices(r, kind == kNotices, logged_at, completions);
  }
  if (kind == kFleetBidCounts) {
    std::string_view origin;
    uint64_t incarnation;
    if (!r.String(&origin) || !r.U64(&incarnation)) return Malformed();
    // This process counted its own bids as it made them (unless it cleared them to reload).
    const bool mine = origin == node_id_ && incarnation == incarnation_ && !reloading_;
    while (!r.done()) {
      std::string_view id;
      uint64_t bids;
      if (!r.String(&id) || !r.U64(&bids)) return Malformed();
      if (mine) continue;
      engine::CampaignAccount& account = money_.ledger.Account(id);
      account.bids += bids;
      account.bids_journaled += bids;
    }
    return absl::OkStatus();
  }
  if (kind == kEffects) {
    uint64_t count;
    if (!r.U64(&count)) return Malformed();
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view bytes;
      engine::NoticeEffect effect;
      if (!r.String(&bytes, kMaxEffectBytes)) return Malformed();
      VETRINA_RETURN_IF_ERROR(engine::DecodeEffect(bytes, &effect));
      book_.Replay(effect, now);
      ++replayed_;
    }
    return r.done() ? absl::OkStatus() : Malformed();
  }
  if (kind == kBidCounts) {
    while (!r.done()) {
      std::string_view id;
      uint64_t bids;
      if (!r.String(&id) || !r.U64(&bids)) return Malformed();
      engine::CampaignAccount& account = money_.ledger.Account(id);
      account.bids += bids;
      account.bids_journaled += bids;
    }
    return absl::OkStatus();
  }
  if (kind != kSnapshot) return Malformed();
  return ReplaySnapshot(r, now);
}

absl::Status SpendWriter::ReplaySnapshot(vetrina::ByteReader& r, absl::Time now) {
  while (!r.done()) {
    uint8_t item;
    if (!r.Byte(&item)) return Malformed();
    switch (item) {
      case kAccountItem: {
        std::string_view id;
        int64_t day, daily, lifetime;
        uint64_t bids, wins, impressions, clicks;
        if (!r.String(&id) || !r.I64(&day) || !r.I64(&daily) || !r.I64(&lifetime) ||
            !r.U64(&bids) || !r.U64(&wins) || !r.U64(&impressions) || !r.U64(&clicks) ||
            daily < 0 || lifetime < daily) {
          return Malformed();
        }
        engine::CampaignAccount& account = money_.ledger.Account(id);
        account.Restore(daily, day, now);
        account.Restore(lifetime - daily, day - 1, now);  // earlier days: lifetime only
        account.bids += bids;
        account.bids_journaled += bids;
        account.wins += wins;
        account.impressions += impressions;
        account.clicks += clicks;
        break;
      }
      case kCtrItem: {
        uint64_t key;
        engine::CtrCounts counts;
        if (!r.U64(&key) || !r.U64(&counts.impressions) || !r.U64(&counts.clicks)) {
          return Malformed();
        }
        money_.ctr.Restore(key, counts);
        break;
      }
      case kFrequencyItem: {
        engine::FrequencyStore::Entry e;
        int64_t hour, day, week;
        uint64_t in_hour, in_day, in_week;
        if (!r.U64(&e.user) || !r.U64(&e.campaign) || !r.I64(&hour) || !r.I64(&day) ||
            !r.I64(&week) || !r.U64(&in_hour) || !r.U64(&in_day) || !r.U64(&in_week)) {
          return Malformed();
        }
        e.hour = static_cast<int32_t>(hour);
        e.day = static_cast<int32_t>(day);
        e.week = static_cast<int32_t>(week);
        e.in_hour = static_cast<uint32_t>(in_hour);
        e.in_day = static_cast<uint32_t>(in_day);
        e.in_week = static_cast<uint32_t>(in_week);
        money_.frequency.Restore(e);
        break;
      }
      case kBidItem: {
        std::string_view bid;
        uint8_t flags;
        int64_t expires, charged;
        if (!r.String(&bid) || !r.Byte(&flags) || !r.I64(&expires) || !r.I64(&charged)) {
          return Malformed();
        }
        const absl::Time at = absl::FromUnixSeconds(expires);
        if (at > now) book_.RestoreBid(std::string(bid), {flags, at, charged});
        break;
      }
      case kLeaseItem: {
        std::string_view campaign;
        engine::LeaseId lease;
        int64_t charged, last;
        if (!r.String(&campaign) || !r.U64(&lease.node) || !r.U64(&lease.epoch) ||
            !r.I64(&charged) || !r.I64(&last) || !lease.valid() || charged < 0) {
          return Malformed();
        }
        book_.RestoreLeaseCharges({std::string(campaign), lease},
                                  {charged, absl::FromUnixSeconds(last)});
        break;
      }
      default:
        return Malformed();
    }
  }
  return absl::OkStatus();
}

bool SpendWriter::GrownPastState() const {
  return log_->size_bytes() > compact_after_bytes_ && log_->size_bytes() > 4 * live_bytes_;
}

bool SpendWriter::RetentionDue() const {
  const absl::Time now = clock_.Now();
  return now - last_compaction_ >= engine::retention::kJournalCompactEvery &&
         now - last_compaction_try_ >= engine::retention::kSweepEvery;
}

void SpendWriter::CompactShared() {
  std::vector<std::string> snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot = Snapshot();
  }
  last_compaction_try_ = clock_.Now();
  if (absl::Status c = log_->Rewrite(snapshot); c.ok()) {
    live_bytes_ = log_->size_bytes();
    last_compaction_ = last_compaction_try_;
    compactions_.fetch_add(1);
  } else {
    LogWarn("compaction_failed").Str("store", "notices").Status(c);
  }
}

std::vector<std::string> SpendWriter::Snapshot() {
  const absl::Time now = clock_.Now();
  // Counts past their period would be dropped by the next sweep: not carried into the rewrite.
  money_.frequency.Sweep(now);
  std::vector<std::string> records;
  vetrina::ByteWriter w;
  size_t items = 0;
  auto item = [&](uint8_t kind) {
    if (items == kItemsPerRecord || items == 0) {
      if (items > 0) records.push_back(std::move(w.mutable_bytes()));
      w = vetrina::ByteWriter();
      w.Byte(kSnapshot);
      items = 0;
    }
    ++items;
    w.Byte(kind);
  };
  money_.ledger.ForEachAccount([&](const std::string& id, engine::CampaignAccount& account) {
    const engine::AccountState state = account.State(now);
    item(kAccountItem);
    w.String(id);
    w.I64(state.day);
    w.I64(state.daily_settled);
    w.I64(state.lifetime_settled);
    const uint64_t bids = account.bids.load();
    account.bids_journaled.store(bids);
    w.U64(bids);
    w.U64(account.wins.load());
    w.U64(account.impressions.load());
    w.U64(account.clicks.load());
  });
  money_.ctr.ForEach([&](uint64_t key, const engine::CtrCounts& counts) {
    item(kCtrItem);
    w.U64(key);
    w.U64(counts.impressions);
    w.U64(counts.clicks);
  });
  money_.frequency.ForEach([&](const engine::FrequencyStore::Entry& e) {
    item(kFrequencyItem);
    w.U64(e.user);
    w.U64(e.campaign);
    w.I64(e.hour);
    w.I64(e.day);
    w.I64(e.week);
    w.U64(e.in_hour);
    w.U64(e.in_day);
    w.U64(e.in_week);
  });
  for (const auto& [bid, state] : book_.bids()) {
    item(kBidItem);
    w.String(bid);
    w.Byte(state.flags);
    w.I64(absl::ToUnixSeconds(state.expires));
    w.I64(state.charged);
  }
  for (const auto& [key, charges] : book_.lease_charges()) {
    item(kLeaseItem);
    w.String(key.campaign_id);
    w.U64(key.lease.node);
    w.U64(key.lease.epoch);
    w.I64(charges.charged);
    w.I64(absl::ToUnixSeconds(charges.last));
  }
  if (items > 0) records.push_back(std::move(w.mutable_bytes()));
  return records;
}

void SpendWriter::Start() {
  thread_ = std::thread([this] { shared_ ? RunShared() : Run(); });
}

SpendWriter::~SpendWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  } else if (shared_) {
    RunShared();  // never started: still complete whatever was submitted
  } else {
    Run();
  }
}

void SpendWriter::Submit(const engine::Notice& notice, const engine::BudgetLimits& limits,
                         Done done) {
  engine::NoticeResult result;
  bool full = false;
  {
    absl::MutexLock lock(&mu_);
    // A shared log that has not answered for a while: refuse rather than queue without bound.
    full = shared_ && waiting_by_sequence_.size() >= max_waiting_;
    if (shared_ && !full) {
      // Applied when the log hands it back, on every node alike.
      const uint64_t sequence = ++next_sequence_;
      vetrina::ByteWriter w;
      w.U64(sequence);
      w.I64(absl::ToUnixMicros(clock_.Now()));
      EncodeNotice(notice, limits, w);
      queued_notices_.append(w.bytes());
      queued_sequences_.push_back(sequence);
      waiting_by_sequence_.emplace(sequence, std::move(done));
      return;
    }
    if (!full) result = book_.Apply(notice, limits, clock_.Now());
    if (!full && result.status != engine::NoticeResult::Status::kPriceAbove) {
      if (result.status != engine::NoticeResult::Status::kDuplicate) {
        vetrina::ByteWriter w;
        w.String(engine::EncodeEffect(result.effect));
        pending_.append(w.bytes());
        ++pending_effects_;
      }
      waiting_.push_back({std::move(done), std::move(result)});
      return;
    }
  }
  if (full) {
    done(absl::UnavailableError("too many notices are waiting for the spend log"));
    return;
  }
  done(std::move(result));  // changes nothing: no wait
}

void SpendWriter::RequestWatermark(absl::Time redis_now) {
  absl::MutexLock lock(&mu_);
  watermark_requested_ = std::max(watermark_requested_, redis_now);
}

absl::Time SpendWriter::watermark() const {
  absl::MutexLock lock(&mu_);
  return watermark_;
}

void SpendWriter::ReadBook(const std::function<void(const engine::NoticeBook&)>& fn) {
  // Never a book half way through a reload: its lease charges would read low.
  auto whole = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !reloading_; };
  mu_.LockWhen(absl::Condition(&whole));
  fn(book_);
  mu_.Unlock();
}

void SpendWriter::Expire() {
  const absl::Time now = clock_.Now();
  if (lease_terms_) {
    // A reservation goes only once no notice the log has not handed over could charge it, and a
    // bid leaves the duplicate filter only once any notice of it would be logged too late to
    // charge: both by Redis' time, which every node reads alike.
    const absl::Time watermark = this->watermark();
    money_.ledger.Expire(watermark);
    absl::MutexLock lock(&mu_);
    book_.Expire(watermark - lease_terms_->late_allowance);
  } else {
    money_.ledger.Expire(now);
    absl::MutexLock lock(&mu_);
    book_.Expire(now);
  }
  if (now - last_sweep_ >= engine::retention::kSweepEvery) {
    money_.frequency.Sweep(now);
    last_sweep_ = now;
  }
}

void SpendWriter::JournalBidCounts() {
  vetrina::ByteWriter w;
  if (shared_) {
    w.Byte(kFleetBidCounts);
    w.String(node_id_);
    w.U64(incarnation_);
  } else {
    w.Byte(kBidCounts);
  }
  bool any = false;
  // Counted outside the journal's order on purpose: bids are reporting, not money, and a crash
  // loses at most the last second of them.
  money_.ledger.ForEachAccount([&](const std::string& id, engine::CampaignAccount& account) {
    const uint64_t bids = account.bids.load();
    const uint64_t journaled = account.bids_journaled.load();
    if (bids == journaled) return;
    w.String(id);
    w.U64(bids - journaled);
    account.bids_journaled.store(bids);
    any = true;
  });
  if (!any) return;
  {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return;
  }
  if (absl::Status s = log_->Append(w.bytes()); !s.ok() && !shared_) {
    absl::MutexLock lock(&mu_);
    failure_ = s;
  }
}

absl::Status SpendWriter::Follow() {
  std::vector<Completion> completions;
  // The lock is taken per record, never across a round trip to the log's store: Submit (an
  // HTTP worker) must not wait on Redis.
  const storage::RecordLog::ReplayFn apply = [this, &completions](std::string_view record) {
    absl::MutexLock lock(&mu_);
    return Replay(record, &completions);
  };
  absl::Status s = log_->Follow(apply);
  if (absl::IsOutOfRange(s)) {
    // Records this node had not read were compacted away. Counts cannot be replayed over (they
    // would count twice): forget what the log holds, then replay all of it, this process's own
    // bid counts included. Open reservations stay (this node's bids). The log reads everything
    // before it replays anything, so forgetting at the first record leaves the state as it was
    // when the reload cannot be read (Redis gone again), and the bid path sees no empty ledger
    // for longer than the in-memory replay.
    bool cleared = false;
    auto clear_once = [&] {
      if (cleared) return;
      absl::MutexLock lock(&mu_);
      money_.ledger.ForEachAccount(
          [](const std::string&, engine::CampaignAccount& account) { account.ClearJournaled(); });
      money_.ctr.Clear();
      money_.frequency.Clear();
      book_.Clear();
      reloading_ = true;
      cleared = true;
    };
    s = log_->Reload([&](std::string_view record) {
      clear_once();
      return apply(record);
    });
    if (s.ok()) clear_once();  // an empty log: nothing to replay, nothing to keep
    absl::MutexLock lock(&mu_);
    reloading_ = false;
  }
  for (Completion& c : completions) c.done(std::move(c.result));
  return s;
}

bool SpendWriter::AppendNotices(std::string batch, size_t count,
                                const std::vector<uint64_t>& sequences) {
  absl::Status s;
  if (count > 0) {
    vetrina::ByteWriter w;
    w.Byte(kNotices);
    w.String(node_id_);
    w.U64(incarnation_);
    w.U64(count);
    w.Raw(batch);
    s = log_->Append(w.bytes());
  }
  // Applied (here as on every node) when followed; this node's notices complete then. The
  // append's outcome is logged first, so a caller whose notice completed finds it logged.
  if (shared_log_failures_.Report(s)) {
    s = Follow();
    shared_log_failures_.Report(s);
  }
  if (s.ok()) {
    batches_.fetch_add(1);
    // Followed to the end: the state holds everything the log does, so it may be compacted.
    if (GrownPastState()) CompactShared();
  }
  const bool followed = s.ok();
  // Notices the follow did not reach: the log failed (the append may still land, and is then
  // applied everywhere, this node included, and a retry is a duplicate).
  if (s.ok()) s = absl::UnavailableError("the notice was not read back from the spend log");
  std::vector<Done> failed;
  {
    absl::MutexLock lock(&mu_);
    for (uint64_t sequence : sequences) {
      auto it = waiting_by_sequence_.find(sequence);
      if (it == waiting_by_sequence_.end()) continue;
      failed.push_back(std::move(it->second));
      waiting_by_sequence_.erase(it);
    }
  }
  for (Done& done : failed) done(s);
  return followed;
}

bool SpendWriter::HousekeepAndStop(bool stopping, absl::Time* last_expire) {
  if (clock_.Now() - *last_expire >= absl::Seconds(1)) {
    Expire();
    JournalBidCounts();
    *last_expire = clock_.Now();
  }
  if (stopping) JournalBidCounts();
  return stopping;
}

void SpendWriter::RunShared() {
  absl::Time last_expire = absl::InfinitePast();
  bool follow_failed = false;
  absl::Time watermark_asked = absl::InfinitePast();
  for (;;) {
    std::string batch;
    std::vector<uint64_t> sequences;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queued_sequences_.empty() || stop_;
      };
      // Idle, it still follows every kFollowEvery (other nodes' notices), less often while the
      // log fails.
      mu_.AwaitWithTimeout(absl::Condition(&has_work),
                           follow_failed ? kFollowAfterFailure : kFollowEvery);
      stopping = stop_ && queued_sequences_.empty();
      batch.swap(queued_notices_);
      sequences.swap(queued_sequences_);
      watermark_asked = watermark_requested_;
    }
    // Retention before the batch, so the notices it completes find it enforced.
    if (RetentionDue() && shared_log_failures_.Report(Follow())) CompactShared();
    if (!sequences.empty()) {
      follow_failed = !AppendNotices(std::move(batch), sequences.size(), sequences);
    } else {
      follow_failed = !shared_log_failures_.Report(Follow());
    }
    if (!follow_failed) {
      // This iteration's follow started after the watermark was asked for and read to the end.
      absl::MutexLock lock(&mu_);
      watermark_ = std::max(watermark_, watermark_asked);
    }
    if (HousekeepAndStop(stopping, &last_expire)) return;
  }
}

void SpendWriter::Run() {
  absl::Time last_expire = absl::InfinitePast();
  for (;;) {
    std::string effects;
    size_t count = 0;
    std::vector<Completion> waiting;
    std::vector<std::string> snapshot;
    bool compact = false;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]()
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !waiting_.empty() || stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&has_work), absl::Seconds(1));
      stopping = stop_ && waiting_.empty();
      if (!waiting_.empty()) {
        effects.swap(pending_);
        count = pending_effects_;
        pending_effects_ = 0;
        waiting.swap(waiting_);
      }
      // Compact instead of appending once due (CompactionDue): the snapshot already holds the
      // effects just taken. Idle, for retention too, so it does not wait for traffic.
      if (failure_.ok() && (waiting.empty() ? RetentionDue() : CompactionDue())) {
        snapshot = Snapshot();
        compact = true;
        last_compaction_try_ = clock_.Now();
      }
    }
    if (compact && waiting.empty()) {
      // Nothing waits on it: a failed rewrite leaves the journal whole, and is tried again.
      if (absl::Status c = log_->Rewrite(snapshot); c.ok()) {
        live_bytes_ = log_->size_bytes();
        last_compaction_ = last_compaction_try_;
        compactions_.fetch_add(1);
      } else {
        LogWarn("compaction_failed").Str("store", "notices").Status(c);
      }
    }
    if (!waiting.empty()) {
      absl::Status status;
      {
        absl::MutexLock lock(&mu_);
        status = failure_;
      }
      if (status.ok() && compact) {
        status = log_->Rewrite(snapshot);
        if (status.ok()) {
          live_bytes_ = log_->size_bytes();
          last_compaction_ = last_compaction_try_;
          compactions_.fetch_add(1);
        }
      } else if (status.ok() && count > 0) {
        vetrina::ByteWriter w;
        w.Byte(kEffects);
        w.U64(count);
        w.Raw(effects);
        status = log_->Append(w.bytes());
      }
      if (!status.ok()) {
        // Fail-stop: nothing is acknowledged from here on; money already applied in memory
        // only errs toward spending less.
        LogError("journal_failed").Str("store", "notices").Status(status);
        absl::MutexLock lock(&mu_);
        failure_ = status;
      } else {
        batches_.fetch_add(1);
      }
      for (Completion& c : waiting) {
        if (status.ok()) {
          c.done(std::move(c.result));
        } else {
          c.done(status);
        }
      }
    }
    if (HousekeepAndStop(stopping, &last_expire)) return;
  }
}

}  // namespace vetrina::money
