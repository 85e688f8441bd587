#include "adapters/money/spend_writer.h"

#include <cstdio>

#include "base/status_macros.h"
#include "base/strings.h"
#include "base/wire.h"

namespace vetrina::money {
namespace {

// Record kinds. A batch of effects: 'E', count, effects. A compaction snapshot: 'S', then items
// each led by their kind byte.
constexpr uint8_t kEffects = 'E';
constexpr uint8_t kSnapshot = 'S';
constexpr uint8_t kBidCounts = 'N';  // campaign, bids since the last such record
constexpr uint8_t kAccountItem = 'A';
constexpr uint8_t kCtrItem = 'C';
constexpr uint8_t kFrequencyItem = 'F';
constexpr uint8_t kBidItem = 'B';
constexpr size_t kItemsPerRecord = 50'000;
constexpr size_t kMaxEffectBytes = 8 * 1024;

absl::Status Malformed() { return absl::DataLossError("malformed spend journal record"); }

}  // namespace

absl::StatusOr<SpendWriterPtr> SpendWriter::Open(const std::string& data_dir,
                                                 engine::MoneyState& money,
                                                 const vetrina::Clock& clock,
                                                 size_t compact_after_bytes) {
  SpendWriterPtr writer(new SpendWriter(money, clock, compact_after_bytes));
  SpendWriter* w = writer.get();
  absl::MutexLock lock(&w->mu_);
  absl::StatusOr<storage::JournalPtr> journal = storage::Journal::Open(
      StrCat(data_dir, "/spend.journal"),
      [w](std::string_view record) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->Replay(record); });
  if (!journal.ok()) return journal.status();
  w->journal_ = *std::move(journal);
  w->live_bytes_ = w->journal_->size_bytes();
  return writer;
}

absl::Status SpendWriter::Replay(std::string_view record) {
  const absl::Time now = clock_.Now();
  vetrina::ByteReader r(record);
  uint8_t kind;
  if (!r.Byte(&kind)) return Malformed();
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
      default:
        return Malformed();
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> SpendWriter::Snapshot() {
  const absl::Time now = clock_.Now();
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
  if (items > 0) records.push_back(std::move(w.mutable_bytes()));
  return records;
}

void SpendWriter::Start() {
  thread_ = std::thread([this] { Run(); });
}

SpendWriter::~SpendWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  } else {
    Run();  // never started: still complete whatever was submitted
  }
}

engine::NoticeResult SpendWriter::Submit(const engine::Notice& notice,
                                         const engine::BudgetLimits& limits, Done done) {
  absl::MutexLock lock(&mu_);
  engine::NoticeResult result = book_.Apply(notice, limits, clock_.Now());
  if (result.status == engine::NoticeResult::Status::kPriceAbove) return result;
  if (result.status != engine::NoticeResult::Status::kDuplicate) {
    vetrina::ByteWriter w;
    w.String(engine::EncodeEffect(result.effect));
    pending_.append(w.bytes());
    ++pending_effects_;
  }
  waiting_.push_back(std::move(done));
  return result;
}

void SpendWriter::Expire() {
  const absl::Time now = clock_.Now();
  money_.ledger.Expire(now);
  {
    absl::MutexLock lock(&mu_);
    book_.Expire(now);
  }
  if (now - last_sweep_ >= absl::Hours(1)) {
    money_.frequency.Sweep(now);
    last_sweep_ = now;
  }
}

void SpendWriter::JournalBidCounts() {
  vetrina::ByteWriter w;
  w.Byte(kBidCounts);
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
  if (absl::Status s = journal_->Append(w.bytes()); !s.ok()) {
    absl::MutexLock lock(&mu_);
    failure_ = s;
  }
}

void SpendWriter::Run() {
  absl::Time last_expire = absl::InfinitePast();
  for (;;) {
    std::string effects;
    size_t count = 0;
    std::vector<Done> waiting;
    std::vector<std::string> snapshot;
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
        // Compact instead of appending once the journal has grown well past its live state:
        // the snapshot already holds the effects just taken.
        if (failure_.ok() && journal_->size_bytes() > compact_after_bytes_ &&
            journal_->size_bytes() > 4 * live_bytes_) {
          snapshot = Snapshot();
        }
      }
    }
    if (!waiting.empty()) {
      absl::Status status;
      {
        absl::MutexLock lock(&mu_);
        status = failure_;
      }
      if (status.ok() && !snapshot.empty()) {
        status = journal_->Rewrite(snapshot);
        if (status.ok()) {
          live_bytes_ = journal_->size_bytes();
          compactions_.fetch_add(1);
        }
      } else if (status.ok() && count > 0) {
        vetrina::ByteWriter w;
        w.Byte(kEffects);
        w.U64(count);
        w.Raw(effects);
        status = journal_->Append(w.bytes());
      }
      if (!status.ok()) {
        // Fail-stop: nothing is acknowledged from here on; money already applied in memory
        // only errs toward spending less.
        std::fprintf(stderr, "spend journal failed: %.*s\n",
                     static_cast<int>(status.message().size()), status.message().data());
        absl::MutexLock lock(&mu_);
        failure_ = status;
      } else {
        batches_.fetch_add(1);
      }
      for (Done& done : waiting) done(status);
    }
    if (clock_.Now() - last_expire >= absl::Seconds(1)) {
      Expire();
      JournalBidCounts();
      last_expire = clock_.Now();
    }
    if (stopping) {
      JournalBidCounts();
      return;
    }
  }
}

}  // namespace vetrina::money
