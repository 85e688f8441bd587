// The catalog on a log shared by a fleet: fleet::RedisLog on a real redis-server, one RedisLink
// per node, as in production.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../support/redis_server.h"
#include "adapters/admin/catalog.h"
#include "adapters/campaigns/audience_json.h"
#include "adapters/campaigns/campaign_json.h"
#include "adapters/fleet/redis_log.h"
#include "adapters/redis/redis_link.h"
#include "base/status_macros.h"

namespace vetrina::admin {
namespace {

using vetrina::testing::RedisServer;

const Principal kAdmin{.admin = true, .advertiser = {}};

Principal Advertiser(const std::string& id) { return Principal{.admin = false, .advertiser = id}; }

CampaignEntry Entry(const std::string& id, const std::string& advertiser,
                    const std::string& max_bid = "2.5") {
  const std::string json = R"({"id": ")" + id + R"(", "advertiser": ")" + advertiser +
                           R"(", "status": "active",
    "bid": {"strategy": "cpm", "max_bid": )" +
                           max_bid + R"(, "currency": "USD"},
    "adomain": ["adv.example"], "cat": ["IAB17"],
    "creatives": [{"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]})";
  absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(json);
  INFO(campaign.status().ToString());
  REQUIRE(campaign.ok());
  return CampaignEntry{std::make_shared<const engine::Campaign>(*std::move(campaign)), json};
}

engine::Audience PixelAudience(const std::string& id, const std::string& advertiser,
                               std::string* json) {
  *json =
      R"({"name": "Carts", "kind": "pixel", "ttl_days": 30, "rule": {"events": ["add_to_cart"]}})";
  absl::StatusOr<engine::Audience> parsed = campaigns::ParseAudience(*json, id, advertiser);
  REQUIRE(parsed.ok());
  return *std::move(parsed);
}

redis::RedisLink::Options FastLink() {
  redis::RedisLink::Options options;
  options.client.reconnect_min = absl::Milliseconds(5);
  options.client.reconnect_max = absl::Milliseconds(50);
  return options;
}

// One node of a fleet: its own link to Redis and its catalog on the shared "catalog" log.
struct Node {
  explicit Node(const RedisServer& server)
      : link({redis::RedisEndpoint{"127.0.0.1", server.port(), 0}}, FastLink()) {
    REQUIRE(link.WaitConnected(absl::Seconds(10)));
  }

  absl::StatusOr<CatalogPtr> TryOpen(std::string* new_admin_token) {
    return Catalog::OpenShared(
        [this](const storage::RecordLog::ReplayFn& replay)
            -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
          absl::StatusOr<std::unique_ptr<fleet::RedisLog>> log =
              fleet::RedisLog::Open(link, "catalog", replay, {.conditional_append = true});
          if (!log.ok()) return log.status();
          return std::unique_ptr<storage::RecordLog>(*std::move(log));
        },
        new_admin_token);
  }

  Catalog& Open() {
    absl::StatusOr<CatalogPtr> opened = TryOpen(&new_admin_token);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    catalog = *std::move(opened);
    return *catalog;
  }

  redis::RedisLink link;
  std::string new_admin_token;
  CatalogPtr catalog;
};

bool IsDown(const absl::Status& s) { return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s); }

TEST_CASE("a campaign put or deleted through one node is seen by another after it follows",
          "[fleet][catalog]") {
  RedisServer server;
  Node a(server), b(server);
  Catalog& catalog_a = a.Open();
  Catalog& catalog_b = b.Open();
  REQUIRE(catalog_a.CreateAdvertiser("acme").ok());
  REQUIRE(
      catalog_a.PutCampaigns(Advertiser("acme"), {Entry("c1", "acme"), Entry("c2", "acme")}).ok());
  CHECK(catalog_b.campaign_count() == 0);  // until it follows

  uint64_t seen = catalog_b.version();
  REQUIRE(catalog_b.Follow().ok());
  CHECK(catalog_b.AdvertiserExists("acme"));
  CHECK(catalog_b.campaign_count() == 2);
  REQUIRE(catalog_b.GetCampaign(kAdmin, "c1").has_value());
  std::vector<std::string> ids;
  uint64_t current = 0;
  REQUIRE(catalog_b.ChangesSince(seen, &ids, &current));
  CHECK(ids == std::vector<std::string>{"c1", "c2"});  // published like its own writes
  CHECK(current > seen);
  CHECK(catalog_b.WaitForChange(seen, absl::ZeroDuration()) == current);
  CHECK(catalog_b.registry()->advertisers.contains("acme"));

  seen = current;
  REQUIRE(catalog_a.DeleteCampaign(kAdmin, "c1").ok());
  REQUIRE(catalog_b.Follow().ok());
  CHECK_FALSE(catalog_b.GetCampaign(kAdmin, "c1").has_value());
  REQUIRE(catalog_b.ChangesSince(seen, &ids, &current));
  CHECK(ids == std::vector<std::string>{"c1"});
  CHECK(catalog_b.Lookup({"c1", "c2"})[0] == nullptr);
}

TEST_CASE("a write on a node that has not followed is checked against the latest state",
          "[fleet][catalog]") {
  RedisServer server;
  Node a(server), b(server);
  Catalog& catalog_a = a.Open();
  Catalog& catalog_b = b.Open();

  REQUIRE(catalog_a.CreateAdvertiser("acme").ok());
  CHECK(absl::IsAlreadyExists(catalog_b.CreateAdvertiser("acme").status()));
  CHECK(catalog_b.AdvertiserExists("acme"));  // it followed to check

  // A campaign id taken by another advertiser on A is not B's to overwrite.
  REQUIRE(catalog_a.PutCampaigns(Advertiser("acme"), {Entry("shared-id", "acme")}).ok());
  REQUIRE(catalog_b.CreateAdvertiser("globex").ok());
  CHECK(absl::IsNotFound(
      catalog_b.PutCampaigns(Advertiser("globex"), {Entry("shared-id", "globex")})));

  // A delete of a campaign created elsewhere and not yet followed is found.
  REQUIRE(catalog_a.PutCampaigns(kAdmin, {Entry("late", "acme")}).ok());
  REQUIRE(catalog_b.DeleteCampaign(kAdmin, "late").ok());  // B had not followed that far
  REQUIRE(catalog_a.Follow().ok());
  CHECK_FALSE(catalog_a.GetCampaign(kAdmin, "late").has_value());
}

TEST_CASE("audiences created on two nodes get distinct segment ids", "[fleet][catalog]") {
  RedisServer server;
  Node a(server), b(server);
  Catalog& catalog_a = a.Open();
  Catalog& catalog_b = b.Open();
  REQUIRE(catalog_a.CreateAdvertiser("acme").ok());
  REQUIRE(catalog_b.CreateAdvertiser("globex").ok());
  std::string json;

  absl::StatusOr<engine::Audience> first =
      catalog_a.PutAudience(Advertiser("acme"), PixelAudience("carts", "acme", &json), json);
  absl::StatusOr<engine::Audience> second =
      catalog_b.PutAudience(Advertiser("globex"), PixelAudience("carts", "globex", &json), json);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->segment != second->segment);

  // Concurrently, from two threads, one node each.
  constexpr int kEach = 10;
  std::vector<absl::StatusOr<engine::Audience>> from_a, from_b;
  auto create = [&](Catalog& catalog, const std::string& advertiser,
                    std::vector<absl::StatusOr<engine::Audience>>* out) {
    std::string definition;
    for (int i = 0; i < kEach; ++i) {
      engine::Audience audience = PixelAudience("a" + std::to_string(i), advertiser, &definition);
      out->push_back(catalog.PutAudience(Advertiser(advertiser), audience, definition));
    }
  };
  std::thread ta([&] { create(catalog_a, "acme", &from_a); });
  std::thread tb([&] { create(catalog_b, "globex", &from_b); });
  ta.join();
  tb.join();
  std::set<engine::SegmentId> segments = {first->segment, second->segment};
  for (const auto* results : {&from_a, &from_b}) {
    for (const absl::StatusOr<engine::Audience>& r : *results) {
      INFO(r.status().ToString());
      REQUIRE(r.ok());
      CHECK(segments.insert(r->segment).second);
    }
  }
  REQUIRE(catalog_a.Follow().ok());
  REQUIRE(catalog_b.Follow().ok());
  CHECK(catalog_a.ListAudiences(kAdmin).size() == 2 * kEach + 2);
  CHECK(catalog_b.ListAudiences(kAdmin).size() == 2 * kEach + 2);
  // Both registries name every segment the same way.
  for (engine::SegmentId s : segments) {
    REQUIRE(catalog_a.registry()->Name(s) != nullptr);
    REQUIRE(catalog_b.registry()->Name(s) != nullptr);
    CHECK(*catalog_a.registry()->Name(s) == *catalog_b.registry()->Name(s));
  }
}

TEST_CASE("the first node creates the fleet's admin token; every node accepts it",
          "[fleet][catalog]") {
  RedisServer server;
  Node a(server), b(server);
  Catalog& catalog_a = a.Open();
  Catalog& catalog_b = b.Open();
  REQUIRE_FALSE(a.new_admin_token.empty());
  CHECK(catalog_a.fresh());
  CHECK(b.new_admin_token.empty());  // shown once, by the node that created it
  CHECK_FALSE(catalog_b.fresh());
  for (Catalog* catalog : {&catalog_a, &catalog_b}) {
    std::optional<Principal> who = catalog->Authenticate("Bearer " + a.new_admin_token);
    REQUIRE(who.has_value());
    CHECK(who->admin);
    CHECK_FALSE(catalog->Authenticate("Bearer vt_not_the_token").has_value());
  }

  absl::StatusOr<std::string> acme = catalog_a.CreateAdvertiser("acme");
  REQUIRE(acme.ok());
  REQUIRE(catalog_b.Follow().ok());
  std::optional<Principal> who = catalog_b.Authenticate("Bearer " + *acme);
  REQUIRE(who.has_value());
  CHECK(who->advertiser == "acme");
}

TEST_CASE("nodes starting at once create one admin token", "[fleet][catalog]") {
  RedisServer server;
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Node>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(std::make_unique<Node>(server));
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<CatalogPtr> opened = nodes[i]->TryOpen(&nodes[i]->new_admin_token);
      results[i] = opened.status();
      if (opened.ok()) nodes[i]->catalog = *std::move(opened);
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<std::string> tokens;
  for (int i = 0; i < kNodes; ++i) {
    INFO(results[i].ToString());
    REQUIRE(results[i].ok());
    if (!nodes[i]->new_admin_token.empty()) tokens.push_back(nodes[i]->new_admin_token);
  }
  REQUIRE(tokens.size() == 1);
  for (auto& node : nodes) {
    REQUIRE(node->catalog->Follow().ok());
    CHECK(node->catalog->Authenticate("Bearer " + tokens[0]).has_value());
  }
}

TEST_CASE("a node that fell behind a compaction reloads the whole catalog", "[fleet][catalog]") {
  RedisServer server;
  Node a(server), b(server);
  Catalog& catalog_a = a.Open();
  Catalog& catalog_b = b.Open();
  REQUIRE(catalog_a.CreateAdvertiser("acme").ok());
  REQUIRE(catalog_b.Follow().ok());
  const uint64_t seen = catalog_b.version();

  REQUIRE(catalog_a.PutCampaigns(kAdmin, {Entry("c1", "acme"), Entry("c2", "acme")}).ok());
  REQUIRE(catalog_a.PutCampaigns(kAdmin, {Entry("c1", "acme", "3.5")}).ok());
  REQUIRE(catalog_a.DeleteCampaign(kAdmin, "c2").ok());
  std::string json;
  REQUIRE(
      catalog_a.PutAudience(Advertiser("acme"), PixelAudience("carts", "acme", &json), json).ok());
  REQUIRE(catalog_a.CompactNow().ok());
  REQUIRE(catalog_a.PutCampaigns(kAdmin, {Entry("c3", "acme")}).ok());
  // B's compaction would overwrite a newer snapshot: refused.
  CHECK(absl::IsFailedPrecondition(catalog_b.CompactNow()));

  REQUIRE(catalog_b.Follow().ok());
  CHECK(catalog_b.Lookup({"c1", "c2", "c3"})[0] != nullptr);
  CHECK(catalog_b.Lookup({"c1"})[0]->max_bid_cpm == catalog_a.Lookup({"c1"})[0]->max_bid_cpm);
  CHECK(catalog_b.Lookup({"c2"})[0] == nullptr);
  CHECK(catalog_b.Lookup({"c3"})[0] != nullptr);
  CHECK(catalog_b.AudienceExists("acme/carts"));
  CHECK(catalog_b.Authenticate("Bearer " + a.new_admin_token).has_value());
  CHECK(catalog_b.version() > seen);
  std::vector<std::string> ids;
  uint64_t current = 0;
  CHECK_FALSE(catalog_b.ChangesSince(seen, &ids, &current));  // the publisher rebuilds

  // Caught up, B writes again; a new node reads snapshot and stream.
  REQUIRE(catalog_b.PutCampaigns(kAdmin, {Entry("c4", "acme")}).ok());
  Node c(server);
  Catalog& catalog_c = c.Open();
  CHECK(c.new_admin_token.empty());
  CHECK(catalog_c.campaign_count() == 3);
  CHECK(catalog_c.ListAudiences(kAdmin).size() == 1);
}

TEST_CASE("while Redis is down writes fail with its error and change nothing", "[fleet][catalog]") {
  RedisServer server;
  Node a(server);
  Catalog& catalog = a.Open();
  REQUIRE(catalog.CreateAdvertiser("acme").ok());
  REQUIRE(catalog.PutCampaigns(kAdmin, {Entry("c1", "acme")}).ok());
  const uint64_t version = catalog.version();

  server.Stop();
  std::string json;
  CHECK(IsDown(catalog.CreateAdvertiser("globex").status()));
  CHECK(IsDown(catalog.PutCampaigns(kAdmin, {Entry("c2", "acme")})));
  CHECK(IsDown(catalog.DeleteCampaign(kAdmin, "c1")));
  CHECK(IsDown(catalog.PutAudience(Advertiser("acme"), PixelAudience("carts", "acme", &json), json)
                   .status()));
  CHECK(IsDown(catalog.Follow()));
  CHECK(IsDown(catalog.CompactNow()));
  CHECK(catalog.version() == version);
  CHECK_FALSE(catalog.AdvertiserExists("globex"));
  CHECK(catalog.campaign_count() == 1);
  CHECK(catalog.GetCampaign(kAdmin, "c1").has_value());
  CHECK_FALSE(catalog.AudienceExists("acme/carts"));
  // Reading goes on.
  CHECK(catalog.Authenticate("Bearer " + a.new_admin_token).has_value());
  std::string token;
  CHECK(IsDown(a.TryOpen(&token).status()));
}

TEST_CASE("a catalog dropped mid-way and opened again has every acknowledged write",
          "[fleet][catalog]") {
  RedisServer server;
  std::string admin_token, acme_token;
  {
    Node a(server);
    Catalog& catalog = a.Open();
    admin_token = a.new_admin_token;
    absl::StatusOr<std::string> acme = catalog.CreateAdvertiser("acme");
    REQUIRE(acme.ok());
    acme_token = *acme;
    for (int i = 0; i < 20; ++i) {
      REQUIRE(
          catalog.PutCampaigns(Advertiser("acme"), {Entry("c" + std::to_string(i), "acme")}).ok());
    }
    REQUIRE(catalog.DeleteCampaign(kAdmin, "c0").ok());
  }  // no flush, no goodbye: only what Redis acknowledged counts
  Node again(server);
  Catalog& catalog = again.Open();
  CHECK(again.new_admin_token.empty());
  CHECK(catalog.campaign_count() == 19);
  CHECK_FALSE(catalog.GetCampaign(kAdmin, "c0").has_value());
  CHECK(catalog.Authenticate("Bearer " + admin_token).has_value());
  CHECK(catalog.Authenticate("Bearer " + acme_token)->advertiser == "acme");
}

// A shared log whose appends always lose the race (or that echoes its appends).
class LosingLog final : public storage::RecordLog {
 public:
  struct Calls {
    int appends = 0;
    int follows = 0;
  };
  LosingLog(bool echoes, Calls* calls) : echoes_(echoes), calls_(calls) {}
  absl::Status Append(std::string_view) override {
    ++calls_->appends;
    return absl::AbortedError("another node appended first");
  }
  absl::Status Rewrite(const std::vector<std::string>&) override { return absl::OkStatus(); }
  absl::Status Follow(const ReplayFn&) override {
    ++calls_->follows;
    return absl::OkStatus();
  }
  absl::Status Reload(const ReplayFn&) override { return absl::OkStatus(); }  // it holds nothing
  bool echoes_appends() const override { return echoes_; }
  size_t size_bytes() const override { return 0; }

 private:
  bool echoes_;
  Calls* calls_;
};

TEST_CASE("a write that keeps losing the race gives up with Unavailable after a few tries",
          "[fleet][catalog]") {
  LosingLog::Calls calls;
  std::string token;
  absl::StatusOr<CatalogPtr> catalog = Catalog::OpenShared(
      [&](const storage::RecordLog::ReplayFn&)
          -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
        return std::make_unique<LosingLog>(false, &calls);
      },
      &token);
  CHECK(absl::IsUnavailable(catalog.status()));  // its admin token could not be stored
  CHECK(calls.appends == 8);
  CHECK(calls.follows == 9);  // and once more: did the token land after all?
}

// A shared log that stores every append but loses its answer (a reply past the call timeout).
class LostAnswerLog final : public storage::RecordLog {
 public:
  absl::Status Append(std::string_view record) override {
    stored_.emplace_back(record);
    return absl::DeadlineExceededError("no reply within 2s");
  }
  absl::Status Rewrite(const std::vector<std::string>&) override { return absl::OkStatus(); }
  absl::Status Follow(const ReplayFn& replay) override {
    for (; read_ < stored_.size(); ++read_) VETRINA_RETURN_IF_ERROR(replay(stored_[read_]));
    return absl::OkStatus();
  }
  absl::Status Reload(const ReplayFn& replay) override {
    read_ = 0;
    return Follow(replay);
  }
  size_t size_bytes() const override { return 0; }

 private:
  std::vector<std::string> stored_;
  size_t read_ = 0;
};

TEST_CASE("a fleet's admin token whose append answer was lost is still shown once",
          "[fleet][catalog]") {
  std::string token;
  absl::StatusOr<CatalogPtr> catalog = Catalog::OpenShared(
      [](const storage::RecordLog::ReplayFn&)
          -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
        return std::make_unique<LostAnswerLog>();
      },
      &token);
  REQUIRE(catalog.ok());
  REQUIRE_FALSE(token.empty());
  CHECK((*catalog)->Authenticate("Bearer " + token).has_value());
}

TEST_CASE("the catalog refuses a shared log that echoes its appends", "[fleet][catalog]") {
  LosingLog::Calls calls;
  std::string token;
  absl::StatusOr<CatalogPtr> catalog = Catalog::OpenShared(
      [&](const storage::RecordLog::ReplayFn&)
          -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
        return std::make_unique<LosingLog>(true, &calls);
      },
      &token);
  CHECK(absl::IsInvalidArgument(catalog.status()));
}

}  // namespace
}  // namespace vetrina::admin
