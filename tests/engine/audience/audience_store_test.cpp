#include "engine/audience/audience_store.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "base/sha256.h"

namespace vetrina::engine {
namespace {

constexpr Day kToday = 20'000;

AudienceKey Key(int i) { return *KeyForId("user-" + std::to_string(i)); }

std::vector<SegmentId> Lookup(const AudienceStore& store, EpochDomain::Reader& reader,
                              const AudienceKey& key, Day today = kToday) {
  EpochDomain::ReadGuard guard(reader);
  std::vector<SegmentId> out;
  store.Lookup(guard, key, today, &out);
  return out;
}

TEST_CASE("keys: ids meet their SHA-256 uploads; zero IFAs are no key") {
  const auto raw = KeyForId("6D92078A-8246-4BA4-AE5B-76104861E7DC");
  REQUIRE(raw.has_value());
  CHECK(KeyForId(" 6d92078a-8246-4ba4-ae5b-76104861e7dc ") == raw);
  // sha256("6d92078a-8246-4ba4-ae5b-76104861e7dc")
  CHECK(KeyFromSha256Hex(ToHex(Sha256("6d92078a-8246-4ba4-ae5b-76104861e7dc"))) == raw);
  CHECK(KeyFromSha256Hex("not hex") == std::nullopt);
  CHECK(KeyFromSha256Hex(std::string(64, 'g')) == std::nullopt);
  CHECK(KeyForId("00000000-0000-0000-0000-000000000000") == std::nullopt);
  CHECK(KeyForId("") == std::nullopt);
  CHECK(KeyForId("user-1") != KeyForId("user-2"));
}

TEST_CASE("add, look up, refresh, remove and expire memberships") {
  EpochDomain domain;
  AudienceStore store(domain, 1);
  EpochDomain::Reader reader(domain);
  store.Apply({{Key(1), 7, kToday + 30}, {Key(1), 3, kToday + 1}, {Key(2), 7, kToday + 5}}, kToday);
  CHECK(Lookup(store, reader, Key(1)) == std::vector<SegmentId>{3, 7});
  CHECK(Lookup(store, reader, Key(2)) == std::vector<SegmentId>{7});
  CHECK(Lookup(store, reader, Key(3)).empty());
  CHECK(store.users() == 2);
  CHECK(store.memberships() == 3);

  // Expiry is inclusive of its day; later days no longer see it, before any rewrite.
  CHECK(Lookup(store, reader, Key(1), kToday + 1) == std::vector<SegmentId>{3, 7});
  CHECK(Lookup(store, reader, Key(1), kToday + 2) == std::vector<SegmentId>{7});

  store.Apply({{Key(1), 3, 0, /*remove=*/true}, {Key(2), 7, kToday + 60}}, kToday);
  CHECK(Lookup(store, reader, Key(1)) == std::vector<SegmentId>{7});
  CHECK(Lookup(store, reader, Key(2), kToday + 40) == std::vector<SegmentId>{7});

  // A rewrite on a later day drops what expired.
  store.Apply({{Key(9), 1, kToday + 100}}, kToday + 31);
  CHECK(store.memberships() <= 3);
  store.Apply({{Key(1), 7, 0, true}}, kToday);
  CHECK(Lookup(store, reader, Key(1)).empty());
}

TEST_CASE("randomized: the store agrees with a plain map") {
  EpochDomain domain;
  AudienceStore store(domain, 1);
  EpochDomain::Reader reader(domain);
  std::map<std::pair<int, SegmentId>, Day> model;
  std::mt19937 rng(5);
  Day today = kToday;
  for (int round = 0; round < 40; ++round) {
    std::vector<AudienceUpdate> batch;
    for (int k = 0; k < 500; ++k) {
      const int user = static_cast<int>(rng() % 300);
      const SegmentId segment = rng() % 20;
      if (rng() % 4 == 0) {
        batch.push_back({Key(user), segment, 0, true});
        model.erase({user, segment});
      } else {
        const Day expires = today + static_cast<Day>(rng() % 40);
        batch.push_back({Key(user), segment, expires, false});
        model[{user, segment}] = expires;
      }
    }
    store.Apply(batch, today);
    if (round % 10 == 9) ++today;
    for (int user = 0; user < 300; ++user) {
      std::vector<SegmentId> expected;
      for (SegmentId s = 0; s < 20; ++s) {
        auto it = model.find({user, s});
        if (it != model.end() && it->second >= today) expected.push_back(s);
      }
      REQUIRE(Lookup(store, reader, Key(user), today) == expected);
    }
  }
}

TEST_CASE("a sweep drops users whose memberships all expired, and keeps the others") {
  EpochDomain domain;
  AudienceStore store(domain, 7);
  EpochDomain::Reader reader(domain);
  std::vector<AudienceUpdate> batch;
  for (int user = 0; user < 20'000; ++user) {
    batch.push_back({Key(user), 1, user % 10 == 0 ? kToday + 100 : kToday + 1});
  }
  store.Apply(std::move(batch), kToday);
  const size_t before = store.MemoryBytes();
  CHECK(store.users() == 20'000);
  CHECK(store.Sweep(kToday) == 0);  // nothing expired yet
  CHECK(store.Sweep(kToday + 2) == 18'000);
  CHECK(store.users() == 2'000);
  // At least the dropped lists' own bytes (8 of header, 4 per membership), whatever the allocator.
  CHECK(before - store.MemoryBytes() >= 18'000 * 12);
  CHECK(Lookup(store, reader, Key(0), kToday + 2) == std::vector<SegmentId>{1});
  CHECK(Lookup(store, reader, Key(1), kToday + 2).empty());
  // Swept users can come back.
  store.Apply({{Key(1), 2, kToday + 30}}, kToday + 2);
  CHECK(Lookup(store, reader, Key(1), kToday + 2) == std::vector<SegmentId>{2});
}

TEST_CASE("keys chosen to collide still spread over slots (the seed scatters them)") {
  EpochDomain domain;
  AudienceStore store(domain, 99);
  EpochDomain::Reader reader(domain);
  // Same low half, different high halves: without the seeded mix these would share one probe run.
  std::vector<AudienceUpdate> batch;
  for (uint64_t i = 1; i <= 50'000; ++i) batch.push_back({AudienceKey{i << 20, 42}, 3, kToday + 5});
  store.Apply(std::move(batch), kToday);
  CHECK(store.users() == 50'000);
  std::vector<SegmentId> out;
  EpochDomain::ReadGuard guard(reader);
  store.Lookup(guard, AudienceKey{uint64_t{777} << 20, 42}, kToday, &out);
  CHECK(out == std::vector<SegmentId>{3});
}

// A regression guard; the measured figures at 1M and 10M users are in docs/benchmarks.md.
TEST_CASE("memory per user stays bounded", "[memory]") {
  EpochDomain domain;
  AudienceStore store(domain, 1);
  std::vector<AudienceUpdate> batch;
  for (int user = 0; user < 200'000; ++user) {
    for (SegmentId s = 0; s < 3; ++s)
      batch.push_back({Key(user), s * 1000 + user % 7, kToday + 30});
  }
  store.Apply(std::move(batch), kToday);
  CHECK(store.users() == 200'000);
  CHECK(store.memberships() == 600'000);
  CHECK(store.MemoryBytes() <= 96 * store.users() + 4 * store.memberships());
  CHECK(store.MemoryBytes() >= 24 * store.users() + 4 * store.memberships());
}

// Run under ThreadSanitizer by `make test-tsan` (CI).
TEST_CASE("concurrent readers never wait for and never see a torn writer", "[concurrency]") {
  EpochDomain domain;
  AudienceStore store(domain, 1);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> lookups{0}, bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      EpochDomain::Reader reader(domain);
      std::vector<SegmentId> out;
      int i = 0;
      while (!stop) {
        out.clear();
        const int user = i++ % 1000;
        {
          EpochDomain::ReadGuard guard(reader);
          store.Lookup(guard, Key(user), kToday, &out);
        }
        // Every user is written with segments {user % 50, 100 + user % 50} or nothing.
        for (SegmentId s : out) {
          if (s != static_cast<SegmentId>(user % 50) && s != 100u + user % 50) ++bad;
        }
        ++lookups;
      }
    });
  }
  while (lookups < 1000) std::this_thread::yield();
  for (int round = 0; round < 50; ++round) {
    std::vector<AudienceUpdate> batch;
    for (int user = round % 2; user < 1000; user += 2) {
      batch.push_back({Key(user), static_cast<SegmentId>(user % 50), kToday + 10});
      batch.push_back({Key(user), 100u + user % 50, kToday + 10, round % 3 == 0});
    }
    store.Apply(std::move(batch), kToday);
    if (round % 5 == 4) store.Sweep(kToday);  // tables replaced under the readers too
  }
  stop = true;
  for (auto& r : readers) r.join();
  CHECK(bad == 0);
  CHECK(lookups > 1000);
}

}  // namespace
}  // namespace vetrina::engine
