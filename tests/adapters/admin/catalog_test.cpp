#include "adapters/admin/catalog.h"

#include <simdjson.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "../../support/files.h"
#include "../../support/temp_dir.h"
#include "adapters/campaigns/audience_json.h"
#include "adapters/campaigns/campaign_json.h"

namespace vetrina::admin {
namespace {

using vetrina::testing::TempDir;

const Principal kAdmin{.admin = true, .advertiser = {}};

Principal Advertiser(const std::string& id) { return Principal{.admin = false, .advertiser = id}; }

std::string CampaignJson(const std::string& id, const std::string& advertiser,
                         const std::string& max_bid = "2.5") {
  return R"({
    "id": ")" +
         id + R"(", "advertiser": ")" + advertiser + R"(", "status": "active",
    "bid": {"strategy": "cpm", "max_bid": )" +
         max_bid + R"(, "currency": "USD"},
    "adomain": ["adv.example"], "cat": ["IAB17"],
    "creatives": [{"id": "b1", "kind": "banner", "w": 320, "h": 50, "markup": "<img>"}]
  })";
}

CampaignEntry Entry(const std::string& id, const std::string& advertiser,
                    const std::string& max_bid = "2.5") {
  const std::string json = CampaignJson(id, advertiser, max_bid);
  absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(json);
  INFO(campaign.status().ToString());
  REQUIRE(campaign.ok());
  return CampaignEntry{std::make_shared<const engine::Campaign>(*std::move(campaign)), json};
}

std::string Minified(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  return simdjson::minify(doc);
}

CatalogPtr MustOpen(const TempDir& dir, std::string* new_token = nullptr) {
  std::string token;
  absl::StatusOr<CatalogPtr> catalog = Catalog::Open(dir.path.string(), &token);
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  if (new_token != nullptr) *new_token = token;
  return *std::move(catalog);
}

std::string Bearer(const std::string& token) { return "Bearer " + token; }

std::vector<std::string> Ids(const std::vector<CampaignEntry>& entries) {
  std::vector<std::string> ids;
  for (const CampaignEntry& e : entries) ids.push_back(e.campaign->id);
  return ids;
}

// What a reader of the catalog can observe: every campaign (id, advertiser, bid, stored JSON),
// the audiences and the version.
struct Observed {
  uint64_t version = 0;
  std::vector<std::string> campaigns;
  std::vector<std::string> audiences;
  friend bool operator==(const Observed&, const Observed&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Observed& o) {
    os << "version " << o.version;
    for (const std::string& c : o.campaigns) os << "\n  campaign " << c;
    for (const std::string& a : o.audiences) os << "\n  audience " << a;
    return os;
  }
};

Observed Observe(const Catalog& catalog) {
  Observed o;
  for (const CampaignEntry& e : catalog.ListCampaigns(kAdmin, "", 1000)) {
    o.campaigns.push_back(e.campaign->id + " " + e.campaign->advertiser + " " +
                          std::to_string(e.campaign->max_bid_cpm) + " " + Minified(e.json));
  }
  for (const engine::Audience& a : catalog.ListAudiences(kAdmin)) {
    o.audiences.push_back(a.QualifiedName() + " " + std::to_string(a.segment));
  }
  o.version = catalog.version();
  return o;
}

TEST_CASE("a fresh catalog creates an admin token once, readable only by its owner") {
  TempDir dir;
  std::string admin_token;
  {
    CatalogPtr catalog = MustOpen(dir, &admin_token);
    CHECK(catalog->fresh());
    REQUIRE_FALSE(admin_token.empty());
    std::optional<Principal> who = catalog->Authenticate(Bearer(admin_token));
    REQUIRE(who.has_value());
    CHECK(who->admin);
    CHECK(who->advertiser.empty());
  }
  const std::filesystem::path token_file = dir.path / "admin.token";
  CHECK(vetrina::testing::ReadFile(token_file) == admin_token + "\n");
  struct stat st {};
  REQUIRE(::stat(token_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  std::string second;
  CatalogPtr reopened = MustOpen(dir, &second);
  CHECK_FALSE(reopened->fresh());
  CHECK(second.empty());  // shown only on the first start
  std::optional<Principal> who = reopened->Authenticate(Bearer(admin_token));
  REQUIRE(who.has_value());
  CHECK(who->admin);
}

TEST_CASE("two data dirs have different admin tokens") {
  TempDir a, b;
  std::string token_a, token_b;
  CatalogPtr catalog_a = MustOpen(a, &token_a);
  CatalogPtr catalog_b = MustOpen(b, &token_b);
  CHECK(token_a != token_b);
  CHECK_FALSE(catalog_b->Authenticate(Bearer(token_a)).has_value());
}

TEST_CASE("advertiser tokens name their advertiser; other headers authenticate no one") {
  TempDir dir;
  std::string admin_token;
  CatalogPtr catalog = MustOpen(dir, &admin_token);
  absl::StatusOr<std::string> acme = catalog->CreateAdvertiser("acme");
  absl::StatusOr<std::string> globex = catalog->CreateAdvertiser("globex");
  REQUIRE(acme.ok());
  REQUIRE(globex.ok());
  CHECK(*acme != *globex);
  CHECK(*acme != admin_token);
  CHECK(catalog->AdvertiserExists("acme"));
  CHECK_FALSE(catalog->AdvertiserExists("initech"));

  std::optional<Principal> who = catalog->Authenticate(Bearer(*acme));
  REQUIRE(who.has_value());
  CHECK_FALSE(who->admin);
  CHECK(who->advertiser == "acme");
  who = catalog->Authenticate("bearer   " + *globex);  // scheme in any case, extra spaces
  REQUIRE(who.has_value());
  CHECK(who->advertiser == "globex");

  for (const std::string& header :
       {std::string(), std::string("Bearer"), std::string("Bearer "), std::string("Bearer    "),
        *acme, "Basic " + *acme, "Bearer " + *acme + "x", "Bearer " + acme->substr(1),
        std::string("Bearer vt_0000"), "Bearer " + admin_token + "0"}) {
    INFO(header);
    CHECK_FALSE(catalog->Authenticate(header).has_value());
  }
}

TEST_CASE("advertiser ids are unique and follow the id grammar") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  const uint64_t version = catalog->version();
  CHECK(catalog->CreateAdvertiser("acme").status().code() == absl::StatusCode::kAlreadyExists);
  for (const char* bad : {"", "../acme", "-acme", "a b", "acme/x"}) {
    INFO(bad);
    CHECK(catalog->CreateAdvertiser(bad).status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_FALSE(catalog->AdvertiserExists(bad));
  }
  CHECK(catalog->CreateAdvertiser(std::string(65, 'a')).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(catalog->version() == version);  // refusals change nothing
}

TEST_CASE("an advertiser reads, changes and deletes only its own campaigns") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  REQUIRE(catalog->CreateAdvertiser("globex").ok());
  const Principal acme = Advertiser("acme");
  const Principal globex = Advertiser("globex");
  REQUIRE(catalog->PutCampaigns(acme, {Entry("a1", "acme")}).ok());
  REQUIRE(catalog->PutCampaigns(globex, {Entry("g1", "globex", "4")}).ok());

  SECTION("reads") {
    CHECK(catalog->GetCampaign(acme, "a1").has_value());
    CHECK_FALSE(catalog->GetCampaign(acme, "g1").has_value());
    CHECK_FALSE(catalog->GetCampaign(globex, "a1").has_value());
    CHECK(catalog->GetCampaign(kAdmin, "g1").has_value());
    CHECK(Ids(catalog->ListCampaigns(acme, "", 100)) == std::vector<std::string>{"a1"});
    CHECK(Ids(catalog->ListCampaigns(globex, "", 100)) == std::vector<std::string>{"g1"});
    CHECK(Ids(catalog->ListCampaigns(kAdmin, "", 100)) == std::vector<std::string>{"a1", "g1"});
  }

  SECTION("changes") {
    const uint64_t version = catalog->version();
    // Naming another advertiser in the campaign is refused outright.
    CHECK(catalog->PutCampaigns(acme, {Entry("a2", "globex")}).code() ==
          absl::StatusCode::kPermissionDenied);
    CHECK(catalog->CheckPut(acme, {Entry("a2", "globex")}).code() ==
          absl::StatusCode::kPermissionDenied);
    // Taking over another advertiser's campaign id looks like a campaign that does not exist.
    CHECK(catalog->PutCampaigns(acme, {Entry("g1", "acme")}).code() == absl::StatusCode::kNotFound);
    CHECK(catalog->CheckPut(acme, {Entry("g1", "acme")}).code() == absl::StatusCode::kNotFound);
    // All or nothing: one bad campaign in a batch stores none of it.
    CHECK(catalog->PutCampaigns(acme, {Entry("a2", "acme"), Entry("a3", "globex")}).code() ==
          absl::StatusCode::kPermissionDenied);
    CHECK_FALSE(catalog->GetCampaign(kAdmin, "a2").has_value());
    CHECK(catalog->version() == version);
    std::optional<CampaignEntry> g1 = catalog->GetCampaign(kAdmin, "g1");
    REQUIRE(g1.has_value());
    CHECK(g1->campaign->advertiser == "globex");
    CHECK(g1->campaign->max_bid_cpm == 4'000'000);

    // The admin may put a campaign for any advertiser; CheckPut applies nothing.
    CHECK(catalog->CheckPut(kAdmin, {Entry("g2", "globex")}).ok());
    CHECK_FALSE(catalog->GetCampaign(kAdmin, "g2").has_value());
    CHECK(catalog->PutCampaigns(kAdmin, {Entry("g2", "globex")}).ok());
    CHECK(catalog->GetCampaign(globex, "g2").has_value());
  }

  SECTION("deletes") {
    CHECK(catalog->DeleteCampaign(acme, "g1").code() == absl::StatusCode::kNotFound);
    CHECK(catalog->GetCampaign(kAdmin, "g1").has_value());
    CHECK(catalog->DeleteCampaign(acme, "nope").code() == absl::StatusCode::kNotFound);
    CHECK(catalog->DeleteCampaign(globex, "g1").ok());
    CHECK_FALSE(catalog->GetCampaign(kAdmin, "g1").has_value());
    CHECK(catalog->DeleteCampaign(globex, "g1").code() == absl::StatusCode::kNotFound);
    CHECK(catalog->DeleteCampaign(kAdmin, "a1").ok());
    CHECK(catalog->campaign_count() == 0);
  }
}

TEST_CASE("puts count new campaigns and replace existing ones in place") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  const Principal acme = Advertiser("acme");
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  size_t created = 99;
  REQUIRE(catalog->PutCampaigns(acme, {Entry("c1", "acme"), Entry("c2", "acme")}, &created).ok());
  CHECK(created == 2);
  const uint64_t before = catalog->version();
  REQUIRE(
      catalog->PutCampaigns(acme, {Entry("c1", "acme", "7"), Entry("c3", "acme")}, &created).ok());
  CHECK(created == 1);
  CHECK(catalog->version() > before);
  CHECK(catalog->campaign_count() == 3);
  std::optional<CampaignEntry> c1 = catalog->GetCampaign(acme, "c1");
  REQUIRE(c1.has_value());
  CHECK(c1->campaign->max_bid_cpm == 7'000'000);
  CHECK(c1->json == CampaignJson("c1", "acme", "7"));  // as uploaded
}

TEST_CASE("campaigns are listed in id order, a page at a time") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  REQUIRE(catalog->CreateAdvertiser("globex").ok());
  REQUIRE(catalog
              ->PutCampaigns(kAdmin, {Entry("c4", "acme"), Entry("c2", "acme"),
                                      Entry("c3", "globex"), Entry("c1", "acme")})
              .ok());
  const Principal acme = Advertiser("acme");
  CHECK(Ids(catalog->ListCampaigns(acme, "", 2)) == std::vector<std::string>{"c1", "c2"});
  CHECK(Ids(catalog->ListCampaigns(acme, "c2", 2)) == std::vector<std::string>{"c4"});
  CHECK(Ids(catalog->ListCampaigns(acme, "c4", 2)).empty());
  CHECK(Ids(catalog->ListCampaigns(kAdmin, "c1", 2)) == std::vector<std::string>{"c2", "c3"});
}

TEST_CASE("the change log names what changed after a version") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  const uint64_t start = catalog->version();
  REQUIRE(catalog->PutCampaigns(kAdmin, {Entry("c1", "acme"), Entry("c2", "acme")}).ok());
  const uint64_t middle = catalog->version();
  REQUIRE(catalog->DeleteCampaign(kAdmin, "c1").ok());
  std::vector<std::string> ids;
  uint64_t current = 0;
  REQUIRE(catalog->ChangesSince(start, &ids, &current));
  CHECK(ids == std::vector<std::string>{"c1", "c2", "c1"});
  CHECK(current == catalog->version());
  REQUIRE(catalog->ChangesSince(middle, &ids, &current));
  CHECK(ids == std::vector<std::string>{"c1"});
  std::vector<engine::CampaignPtr> found = catalog->Lookup({"c1", "c2"});
  REQUIRE(found.size() == 2);
  CHECK(found[0] == nullptr);
  REQUIRE(found[1] != nullptr);
  CHECK(found[1]->id == "c2");
  CHECK(catalog->WaitForChange(start, absl::ZeroDuration()) == current);
  CHECK(catalog->WaitForChange(current, absl::ZeroDuration()) == current);
}

TEST_CASE("a single node's catalog has nothing to follow") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  const Observed before = Observe(*catalog);
  CHECK(catalog->Follow().ok());
  CHECK(Observe(*catalog) == before);
}

TEST_CASE("audiences belong to advertisers and keep their segment when replaced") {
  TempDir dir;
  CatalogPtr catalog = MustOpen(dir);
  REQUIRE(catalog->CreateAdvertiser("acme").ok());
  const std::string json =
      R"({"name": "Carts", "kind": "pixel", "ttl_days": 30, "rule": {"events": ["add_to_cart"]}})";
  absl::StatusOr<engine::Audience> parsed = campaigns::ParseAudience(json, "carts", "acme");
  REQUIRE(parsed.ok());
  CHECK(catalog->PutAudience(kAdmin, *parsed, json).status().code() ==
        absl::StatusCode::kPermissionDenied);
  absl::StatusOr<engine::Audience> first = catalog->PutAudience(Advertiser("acme"), *parsed, json);
  REQUIRE(first.ok());
  absl::StatusOr<engine::Audience> again = catalog->PutAudience(Advertiser("acme"), *parsed, json);
  REQUIRE(again.ok());
  CHECK(again->segment == first->segment);
  CHECK(catalog->AudienceExists("acme/carts"));
  CHECK_FALSE(catalog->GetAudience(Advertiser("globex"), "carts").has_value());
  std::shared_ptr<const engine::AudienceRegistry> registry = catalog->registry();
  REQUIRE(registry->Name(first->segment) != nullptr);
  CHECK(*registry->Name(first->segment) == "acme/carts");
  CHECK(registry->pixel_audiences.at("acme").size() == 1);
}

TEST_CASE("reopening the data dir replays advertisers, campaigns, audiences and the version") {
  TempDir dir;
  std::string acme_token, globex_token;
  Observed before;
  {
    CatalogPtr catalog = MustOpen(dir);
    acme_token = *catalog->CreateAdvertiser("acme");
    globex_token = *catalog->CreateAdvertiser("globex");
    REQUIRE(
        catalog->PutCampaigns(Advertiser("acme"), {Entry("a1", "acme"), Entry("a2", "acme")}).ok());
    REQUIRE(catalog->PutCampaigns(Advertiser("globex"), {Entry("g1", "globex")}).ok());
    REQUIRE(catalog->PutCampaigns(Advertiser("acme"), {Entry("a1", "acme", "9.75")}).ok());
    REQUIRE(catalog->DeleteCampaign(Advertiser("acme"), "a2").ok());
    const std::string json = R"({"name": "Buyers", "kind": "custom", "ttl_days": 60})";
    absl::StatusOr<engine::Audience> audience = campaigns::ParseAudience(json, "buyers", "globex");
    REQUIRE(audience.ok());
    REQUIRE(catalog->PutAudience(Advertiser("globex"), *audience, json).ok());
    before = Observe(*catalog);
  }
  REQUIRE(before.campaigns.size() == 2);

  CatalogPtr reopened = MustOpen(dir);
  CHECK_FALSE(reopened->fresh());
  CHECK(Observe(*reopened) == before);
  std::optional<Principal> who = reopened->Authenticate(Bearer(acme_token));
  REQUIRE(who.has_value());
  CHECK(who->advertiser == "acme");
  who = reopened->Authenticate(Bearer(globex_token));
  REQUIRE(who.has_value());
  CHECK(who->advertiser == "globex");
  CHECK(reopened->CreateAdvertiser("acme").status().code() == absl::StatusCode::kAlreadyExists);
  std::optional<CampaignEntry> a1 = reopened->GetCampaign(Advertiser("acme"), "a1");
  REQUIRE(a1.has_value());
  CHECK(a1->campaign->max_bid_cpm == 9'750'000);
  CHECK_FALSE(reopened->GetCampaign(kAdmin, "a2").has_value());
  // Ownership survives the restart.
  CHECK_FALSE(reopened->GetCampaign(Advertiser("acme"), "g1").has_value());
  // The change log starts at the reopen: older versions ask for a full read.
  std::vector<std::string> ids;
  uint64_t current = 0;
  CHECK_FALSE(reopened->ChangesSince(0, &ids, &current));
  CHECK(reopened->ChangesSince(current, &ids, &current));
  CHECK(ids.empty());
  // A new audience does not reuse a replayed segment.
  const std::string json = R"({"name": "More", "kind": "custom"})";
  absl::StatusOr<engine::Audience> more = campaigns::ParseAudience(json, "more", "globex");
  REQUIRE(more.ok());
  absl::StatusOr<engine::Audience> stored =
      reopened->PutAudience(Advertiser("globex"), *more, json);
  REQUIRE(stored.ok());
  std::optional<engine::Audience> buyers = reopened->GetAudience(Advertiser("globex"), "buyers");
  REQUIRE(buyers.has_value());
  CHECK(stored->segment != buyers->segment);
}

TEST_CASE("a batch torn by a crash is cut off whole on reopen") {
  TempDir dir;
  Observed after_first;
  {
    CatalogPtr catalog = MustOpen(dir);
    REQUIRE(catalog->CreateAdvertiser("acme").ok());
    REQUIRE(catalog->PutCampaigns(kAdmin, {Entry("c1", "acme"), Entry("c2", "acme")}).ok());
    after_first = Observe(*catalog);
    REQUIRE(catalog->PutCampaigns(kAdmin, {Entry("c3", "acme"), Entry("c4", "acme")}).ok());
  }
  const std::filesystem::path journal = dir.path / "catalog.journal";
  std::filesystem::resize_file(journal, std::filesystem::file_size(journal) - 10);
  CatalogPtr reopened = MustOpen(dir);
  CHECK(Observe(*reopened) == after_first);
}

TEST_CASE("a journal of superseded records is compacted on open, to the same state") {
  TempDir dir;
  const std::filesystem::path journal = dir.path / "catalog.journal";
  std::string acme_token;
  Observed before;
  {
    CatalogPtr catalog = MustOpen(dir);
    acme_token = *catalog->CreateAdvertiser("acme");
    REQUIRE(catalog->CreateAdvertiser("globex").ok());
    const std::string json = R"({"name": "Buyers", "kind": "custom"})";
    REQUIRE(catalog
                ->PutAudience(Advertiser("acme"), *campaigns::ParseAudience(json, "buyers", "acme"),
                              json)
                .ok());
    // One campaign edited 100 times and one created and deleted: the journal grows, the live
    // state does not.
    for (int i = 1; i <= 100; ++i) {
      REQUIRE(catalog->PutCampaigns(kAdmin, {Entry("c1", "acme", std::to_string(i))}).ok());
    }
    REQUIRE(catalog->PutCampaigns(kAdmin, {Entry("gone", "globex")}).ok());
    REQUIRE(catalog->DeleteCampaign(kAdmin, "gone").ok());
    REQUIRE(catalog->PutCampaigns(kAdmin, {Entry("g1", "globex")}).ok());
    before = Observe(*catalog);
  }
  const uintmax_t grown = std::filesystem::file_size(journal);
  {
    CatalogPtr compacted = MustOpen(dir);
    CHECK(std::filesystem::file_size(journal) < grown / 10);
    CHECK(Observe(*compacted) == before);
  }
  // What the compaction wrote replays to the same state, and changes continue from there.
  CatalogPtr reopened = MustOpen(dir);
  CHECK(Observe(*reopened) == before);
  std::optional<Principal> who = reopened->Authenticate(Bearer(acme_token));
  REQUIRE(who.has_value());
  CHECK(who->advertiser == "acme");
  std::optional<CampaignEntry> c1 = reopened->GetCampaign(Advertiser("acme"), "c1");
  REQUIRE(c1.has_value());
  CHECK(c1->campaign->max_bid_cpm == 100'000'000);
  REQUIRE(reopened->DeleteCampaign(kAdmin, "g1").ok());
  CHECK(reopened->version() > before.version);
  const Observed after_delete = Observe(*reopened);
  reopened.reset();
  CHECK(Observe(*MustOpen(dir)) == after_delete);
}

TEST_CASE("a stored campaign that fails today's checks is kept, paused, until fixed") {
  TempDir dir;
  // What an older version accepted: a video whose VAST today's upload check refuses.
  const std::string stored = R"({"id":"c1","advertiser":"acme","status":"active",)"
                             R"("bid":{"strategy":"cpm","max_bid":2.5,"currency":"USD"},)"
                             R"("creatives":[{"id":"v1","kind":"video","duration":15,)"
                             R"("vast":"hello world"}]})";
  REQUIRE_FALSE(campaigns::ParseCampaign(stored).ok());
  {
    CatalogPtr catalog = MustOpen(dir);
    REQUIRE(catalog->CreateAdvertiser("acme").ok());
    CampaignEntry entry = Entry("c1", "acme");
    entry.json = stored;
    REQUIRE(catalog->PutCampaigns(kAdmin, {entry, Entry("c2", "acme")}).ok());
  }
  {
    CatalogPtr reopened = MustOpen(dir);
    const std::map<std::string, std::string> held = reopened->HeldCampaigns();
    REQUIRE(held.size() == 1);
    CHECK(held.begin()->first == "c1");
    CHECK(held.begin()->second.find("vast") != std::string::npos);
    std::optional<CampaignEntry> c1 = reopened->GetCampaign(kAdmin, "c1");
    REQUIRE(c1.has_value());
    CHECK(c1->campaign->status == engine::CampaignStatus::kPaused);
    CHECK(c1->campaign->creatives.empty());
    CHECK(c1->json == Minified(stored));
    CHECK(reopened->GetCampaign(kAdmin, "c2")->campaign->status == engine::CampaignStatus::kActive);
    // A fixed upload ends the hold, and stays fixed across a restart.
    REQUIRE(reopened->PutCampaigns(kAdmin, {Entry("c1", "acme")}).ok());
    CHECK(reopened->HeldCampaigns().empty());
  }
  CatalogPtr again = MustOpen(dir);
  CHECK(again->HeldCampaigns().empty());
  CHECK(again->GetCampaign(kAdmin, "c1")->campaign->status == engine::CampaignStatus::kActive);
}

}  // namespace
}  // namespace vetrina::admin
