#include "adapters/audiences/membership_writer.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "../../support/temp_dir.h"
#include "adapters/audiences/members_upload.h"
#include "adapters/audiences/pixel.h"

namespace vetrina::audiences {
namespace {

using vetrina::testing::TempDir;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::vector<engine::SegmentId> Segments(engine::AudienceStore& store, engine::EpochDomain& domain,
                                        std::string_view id, engine::Day today) {
  engine::EpochDomain::Reader reader(domain);
  engine::EpochDomain::ReadGuard guard(reader);
  std::vector<engine::SegmentId> out;
  store.Lookup(guard, *engine::KeyForId(id), today, &out);
  return out;
}

TEST_CASE("what the writer acknowledges is in the store and survives a reopen") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = Today(clock);
  {
    engine::EpochDomain domain;
    engine::AudienceStore store(domain, 1);
    auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
    REQUIRE(writer.ok());
    (*writer)->Start();
    const uint64_t ticket = (*writer)->Submit(
        {{*engine::KeyForId("alice"), 3, today + 10}, {*engine::KeyForId("bob"), 4, today + 10}});
    REQUIRE((*writer)->WaitDurable(ticket).ok());
    CHECK(Segments(store, domain, "alice", today) == std::vector<engine::SegmentId>{3});
    REQUIRE(
        (*writer)->WaitDurable((*writer)->Submit({{*engine::KeyForId("bob"), 4, 0, true}})).ok());
  }
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
  REQUIRE(writer.ok());
  CHECK((*writer)->replayed() == 3);
  CHECK(Segments(store, domain, "alice", today) == std::vector<engine::SegmentId>{3});
  CHECK(Segments(store, domain, "bob", today).empty());
}

TEST_CASE("the journal is compacted while running and still restores the same state") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  const engine::Day today = Today(clock);
  const std::string journal = (dir.path / "audiences.journal").string();
  {
    engine::EpochDomain domain;
    engine::AudienceStore store(domain, 1);
    auto writer = MembershipWriter::Open(dir.path.string(), store, clock, /*compact_after=*/4096);
    REQUIRE(writer.ok());
    (*writer)->Start();
    // The same 10 users flip in and out of a segment: the journal grows, the live state does not.
    for (int round = 0; round < 200; ++round) {
      std::vector<engine::AudienceUpdate> batch;
      for (int u = 0; u < 10; ++u) {
        batch.push_back({*engine::KeyForId("u" + std::to_string(u)), 7, today + 5, round % 2 == 1});
      }
      REQUIRE((*writer)->WaitDurable((*writer)->Submit(std::move(batch))).ok());
    }
    CHECK((*writer)->compactions() > 0);
    CHECK(std::filesystem::file_size(journal) < 200 * 10 * 25);
  }
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
  REQUIRE(writer.ok());
  CHECK(store.users() == 0);  // the last round removed everyone
}

TEST_CASE("an upload splits lines across chunks and counts bad ones") {
  TempDir dir;
  vetrina::ManualClock clock(kNow);
  engine::EpochDomain domain;
  engine::AudienceStore store(domain, 1);
  auto writer = MembershipWriter::Open(dir.path.string(), store, clock);
  REQUIRE(writer.ok());
  (*writer)->Start();
  MembersUpload upload(**writer, 9, Today(clock) + 30, /*remove=*/false);
  const std::string body = "alice\r\nbo";
  CHECK(upload.Append(body));
  CHECK(upload.Append("b\n\n" + std::string(600, 'x') + "\nbad\x01id\n"));
  CHECK(upload.Append("carol"));  // no final newline
  http::HttpResponse response;
  upload.Finish(&response);
  CHECK(response.status == 200);
  CHECK(response.body == R"({"added":3,"rejected":2})");
  for (const char* id : {"alice", "bob", "carol"}) {
    CHECK(Segments(store, domain, id, Today(clock)) == std::vector<engine::SegmentId>{9});
  }
}

TEST_CASE("pixel queries: parsing, decoding, and rules to updates") {
  auto hit = ParsePixelQuery("a=shop&e=add_to_cart&ifa=ID-1&uid=u%2B1&p.value=80&p.sku=a+b");
  REQUIRE(hit.ok());
  CHECK(hit->event.advertiser == "shop");
  CHECK(hit->keys.size() == 2);
  CHECK(hit->event.params ==
        std::vector<std::pair<std::string, std::string>>{{"value", "80"}, {"sku", "a b"}});
  for (const char* bad :
       {"", "a=shop", "e=x&ifa=1", "a=shop&e=x", "a=../x&e=x&ifa=1", "a=shop&e=x&ifa=%zz",
        "a=shop&e=x&ifa=00000000-0000-0000-0000-000000000000"}) {
    INFO(bad);
    CHECK_FALSE(ParsePixelQuery(bad).ok());
  }
  std::string many = "a=shop&e=x&ifa=1";
  for (int i = 0; i < 40; ++i) many += "&p.k" + std::to_string(i) + "=v";
  CHECK_FALSE(ParsePixelQuery(many).ok());

  engine::AudienceRegistry registry;
  engine::Audience carts;
  carts.id = "carts";
  carts.advertiser = "shop";
  carts.kind = engine::AudienceKind::kPixel;
  carts.ttl_days = 30;
  carts.segment = 5;
  carts.rule.events = {"add_to_cart"};
  carts.rule.recency_days = 7;
  carts.rule.exclude_events = {"purchase"};
  carts.rule.conditions = {
      {.param = "value", .op = engine::PixelCondition::Op::kGe, .values = {}, .number = 50}};
  registry.pixel_audiences["shop"] = {carts};
  std::vector<engine::AudienceUpdate> updates = PixelUpdates(registry, *hit, 100);
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].segment == 5);
  CHECK(updates[0].expires == 107);  // recency shorter than the TTL
  CHECK_FALSE(updates[0].remove);
  auto cheap = ParsePixelQuery("a=shop&e=add_to_cart&ifa=ID-1&p.value=10");
  CHECK(PixelUpdates(registry, *cheap, 100).empty());
  auto bought = ParsePixelQuery("a=shop&e=purchase&ifa=ID-1");
  REQUIRE(PixelUpdates(registry, *bought, 100).size() == 1);
  CHECK(PixelUpdates(registry, *bought, 100)[0].remove);
  CHECK(PixelGif().substr(0, 6) == "GIF89a");
}

}  // namespace
}  // namespace vetrina::audiences
