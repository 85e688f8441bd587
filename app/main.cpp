// The `vetrina` executable: parses the command line and wires the parts together.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/admin/admin_api.h"
#include "adapters/admin/catalog.h"
#include "adapters/admin/publisher.h"
#include "adapters/audiences/membership_writer.h"
#include "adapters/campaigns/campaign_json.h"
#include "adapters/fleet/follower.h"
#include "adapters/fleet/redis_log.h"
#include "adapters/fleet/shared_secret.h"
#include "adapters/http/descriptor_limit.h"
#include "adapters/http/server.h"
#include "adapters/money/lease_keeper.h"
#include "adapters/money/market_json.h"
#include "adapters/money/secrets.h"
#include "adapters/money/spend_writer.h"
#include "adapters/redis/redis_link.h"
#include "adapters/service/admin_handler.h"
#include "adapters/service/bid_handler.h"
#include "adapters/service/bidder.h"
#include "adapters/service/summary_log.h"
#include "adapters/skadn/signer.h"
#include "adapters/status/status_handler.h"
#include "adapters/status/status_sampler.h"
#include "app/campaigns_cli.h"
#include "app/config.h"
#include "app/consent_cli.h"
#include "base/build_info.h"
#include "base/clock.h"
#include "base/did_you_mean.h"
#include "base/json_writer.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "engine/audience/audience_store.h"
#include "engine/money/spend_policy.h"

namespace vetrina::app {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  vetrina serve [OPTION...]                        the bidder (vetrina serve --help)\n"
    "  vetrina campaigns validate FILE...               the admin API's checks, offline\n"
    "  vetrina campaigns push FILE... --admin URL ...   validate, then upload\n"
    "  vetrina consent tcf|gpp|usp|usnat STRING         decode a consent string\n"
    "  vetrina help [serve|campaigns|consent|config-schema|config-markdown]\n"
    "  vetrina --version                                version, commit and build type\n";

// `vetrina help`: every command and every option.
std::string FullHelp() {
  return StrCat(kUsage, "\n", ServeHelp(), "\n", CampaignsHelp(), "\n", ConsentHelp());
}

std::string VersionLine() {
  const BuildInfo& info = GetBuildInfo();
  return StrCat("vetrina ", info.version, " (commit ", info.commit, ", ", info.build_type, ")\n");
}

// `vetrina help TOPIC`.
int Help(const std::vector<std::string>& topics) {
  if (topics.empty()) {
    std::fputs(FullHelp().c_str(), stdout);
    return 0;
  }
  const std::string& topic = topics[0];
  std::string text;
  if (topic == "serve") text = ServeHelp();
  if (topic == "campaigns") text = CampaignsHelp();
  if (topic == "consent") text = ConsentHelp();
  if (topic == "config-schema") text = ConfigSchemaJson() + "\n";
  if (topic == "config-markdown") text = ServeOptionsMarkdown();
  if (text.empty()) {
    std::fprintf(stderr, "vetrina help: no help on %s (see vetrina --help)\n", topic.c_str());
    return 2;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

// The process's VETRINA_* variables.
Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos || text.rfind("VETRINA_", 0) != 0) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env;
}

int Fail(std::string_view message) {
  std::fprintf(stderr, "vetrina: %.*s\n", static_cast<int>(message.size()), message.data());
  return 2;
}

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? StrCat("[", host, "]") : host;
}

// A failure once `serve` runs: a log line, as everything it says on stderr.
int FailServe(std::string_view message) {
  LogError("startup_failed").Str("error", message);
  return 2;
}

// The effective configuration for the startup line: every option by its name and value, from
// the table that parses them. It holds no secret: the admin token and the notice key live in the
// data dir (or the fleet's Redis), and Redis URLs carry no credentials (redis::ParseRedisUrl
// refuses them).
std::string ConfigJson(const ServeConfig& config) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const ServeOption& option : ServeOptions()) {
    w.Key(option.name);
    w.String(option.get(config));
  }
  w.EndObject();
  return out;
}

// Fleet mode: the link to the fleet's Redis, once it answers (nullptr for a single node).
absl::StatusOr<std::unique_ptr<redis::RedisLink>> JoinFleet(const ServeConfig& config) {
  if (config.redis.empty()) return nullptr;
  constexpr absl::Duration kJoinTimeout = absl::Seconds(30);
  auto link = std::make_unique<redis::RedisLink>(config.redis, redis::RedisLink::Options{});
  if (!link->WaitConnected(kJoinTimeout)) {
    return absl::UnavailableError(StrCat("cannot reach redis ", link->description(), " within ",
                                         absl::FormatDuration(kJoinTimeout), ": ",
                                         View(link->health().message())));
  }
  // An acknowledgement means "on Redis' disk" only with appendonly yes and appendfsync always;
  // say so when Redis runs otherwise.
  for (const auto& [setting, wanted] :
       {std::pair{"appendonly", "yes"}, {"appendfsync", "always"}}) {
    absl::StatusOr<redis::RedisReply> value = link->Call("", {"CONFIG", "GET", setting});
    if (value.ok() && value->elements.size() == 2 && value->elements[1].str != wanted) {
      LogWarn("redis_durability")
          .Str("redis", link->description())
          .Str("setting", setting)
          .Str("value", value->elements[1].str)
          .Str("wanted", wanted)
          .Str("risk", "acknowledged writes can be lost when redis stops (docs/fleet.md)");
    }
  }
  LogInfo("fleet_joined").Str("redis", link->description()).Str("node_id", config.node_id);
  return link;
}

// Where a store keeps its changes: its file journal in the data dir for a single node (an
// empty opener), the fleet's shared log `name` in Redis otherwise.
storage::LogOpener SharedLog(const redis::RedisLink* link, std::string name, bool conditional,
                             bool stamp_entry_times = false) {
  if (link == nullptr) return {};
  return [link, name = std::move(name), conditional,
          stamp_entry_times](const storage::RecordLog::ReplayFn& replay)
             -> absl::StatusOr<std::unique_ptr<storage::RecordLog>> {
    return fleet::RedisLog::Open(
        *link, name, replay,
        {.conditional_append = conditional, .stamp_entry_times = stamp_entry_times});
  };
}

// A fleet's shared log `name`, or else the file journal at `journal_path`, its syncs timed.
storage::LogOpener SharedLogOrJournal(const redis::RedisLink* link, std::string name,
                                      std::string journal_path, storage::SyncObserver on_sync,
                                      bool stamp_entry_times = false) {
  if (link != nullptr) return SharedLog(link, std::move(name), false, stamp_entry_times);
  return storage::JournalOpener(std::move(journal_path), nullptr, std::move(on_sync));
}

// The campaigns a fleet node leases budget for: the live ones with a budget.
money::LeaseKeeper::ListCampaigns BudgetedCampaigns(service::Bidder& bidder) {
  return [&bidder] {
    std::vector<money::LeaseKeeper::Budgeted> out;
    engine::EpochDomain::Reader reader(bidder.epoch());
    engine::EpochDomain::ReadGuard guard(reader);
    bidder.campaigns().Get(guard).ForEachCampaign([&](const engine::Campaign& c) {
      if (c.daily_budget > 0 || c.lifetime_budget > 0) {
        out.push_back({c.id, engine::BudgetLimits::Of(c)});
      }
      return true;
    });
    return out;
  };
}

int Serve(const ServeConfig& config) {
  vetrina::RealClock clock;
  // Every line from here on is a JSON log line on stderr (docs/operations.md, "Logs"); stdout
  // keeps what a person or a script reads once: the admin token, the bound ports, the demo.
  const Logger logger(clock, ParseLogLevel(config.log_level).value_or(LogLevel::kInfo));
  const ScopedGlobalLogger installed_logger(logger);
  std::set_terminate([] {
    // A background loop that threw (or anything else that ends the process this way).
    std::string what = "no exception";
    if (std::exception_ptr current = std::current_exception()) {
      try {
        std::rethrow_exception(current);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
        what = "an exception of unknown type";
      }
    }
    LogError("crash").Str("error", what);
    std::abort();
  });
  const BuildInfo& build = GetBuildInfo();
  LogInfo("startup")
      .Str("version", build.version)
      .Str("commit", build.commit)
      .Str("build_type", build.build_type)
      .Json("config", ConfigJson(config));

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec)
    return FailServe(StrCat("cannot create --data-dir ", config.data_dir, ": ", ec.message()));

  absl::StatusOr<std::unique_ptr<redis::RedisLink>> fleet_link = JoinFleet(config);
  if (!fleet_link.ok()) return FailServe(View(fleet_link.status().message()));
  const redis::RedisLink* link = fleet_link->get();

  // Every sync of a local journal, for /metrics.
  service::Histogram fsync_latency = service::MakeFsyncHistogram();
  const storage::SyncObserver time_sync = [&fsync_latency](absl::Duration elapsed) {
    fsync_latency.Observe(absl::ToInt64Microseconds(elapsed));
  };

  std::string new_admin_token;
  absl::StatusOr<admin::CatalogPtr> catalog =
      link == nullptr
          ? admin::Catalog::Open(config.data_dir, &new_admin_token, admin::SystemRandomBytes,
                                 time_sync)
          : admin::Catalog::OpenShared(SharedLog(link, "catalog", true), &new_admin_token);
  if (!catalog.ok()) return FailServe(View(catalog.status().message()));
  if (!new_admin_token.empty() && link == nullptr) {
    std::printf("admin token (shown once; kept in %s/admin.token): %s\n", config.data_dir.c_str(),
                new_admin_token.c_str());
  } else if (!new_admin_token.empty()) {
    std::printf("admin token (shown once, to the node that created the fleet): %s\n",
                new_admin_token.c_str());
  }
  // A fresh data dir is seeded from --campaigns; later starts keep what the API changed.
  if ((*catalog)->fresh() && !config.campaigns_dir.empty()) {
    absl::StatusOr<std::vector<campaigns::CampaignFile>> seed =
        campaigns::LoadCampaignFiles(config.campaigns_dir);
    if (!seed.ok()) return FailServe(View(seed.status().message()));
    std::vector<admin::CampaignEntry> entries;
    for (campaigns::CampaignFile& f : *seed) {
      entries.push_back(
          {std::make_shared<const engine::Campaign>(std::move(f.campaign)), std::move(f.json)});
    }
    if (absl::Status s = (*catalog)->PutCampaigns(admin::Principal{.admin = true, .advertiser = {}},
                                                  std::move(entries));
        !s.ok()) {
      return FailServe(View(s.message()));
    }
    LogInfo("campaigns_seeded")
        .Int("campaigns", static_cast<int64_t>((*catalog)->campaign_count()))
        .Str("from", config.campaigns_dir);
  }
  for (const auto& [id, reason] : (*catalog)->HeldCampaigns()) {
    LogWarn("campaign_held")
        .Str("campaign", id)
        .Str("reason", reason)
        .Str("fix", "its stored version fails today's checks and is paused: upload a fixed one");
  }

  http::ServerOptions public_options;
  public_options.name = "public";
  public_options.host = config.listen.host;
  public_options.port = config.listen.port;
  public_options.threads = config.threads;
  public_options.max_connections = config.max_connections;
  // Overloaded, serve the newest bid requests first and shed the stale ones (docs/benchmarks.md).
  public_options.admission = http::AdmissionQueue::Options{};
  // Each connection is a descriptor: ask for enough, and serve fewer when the system allows fewer.
  constexpr int kAdminConnections = 256;
  constexpr int kReservedDescriptors = 512;  // journals, snapshots, the admin listener's sockets
  const int descriptors =
      http::RaiseDescriptorLimit(config.max_connections + kAdminConnections + kReservedDescriptors);
  if (descriptors < config.max_connections + kAdminConnections + kReservedDescriptors) {
    public_options.max_connections =
        std::max(1, descriptors - kAdminConnections - kReservedDescriptors);
    LogWarn("descriptor_limit")
        .Int("open_file_limit", descriptors)
        .Int("max_connections", public_options.max_connections)
        .Int("asked_for", config.max_connections);
  }
  absl::StatusOr<std::unique_ptr<http::HttpServer>> public_server =
      http::HttpServer::Bind(public_options, clock);
  if (!public_server.ok()) return FailServe(View(public_server.status().message()));

  http::ServerOptions admin_options;
  admin_options.name = "admin";
  admin_options.host = config.admin_listen.host;
  admin_options.port = config.admin_listen.port;
  // Two threads: a long upload (which waits for its journal) leaves one for health and the API.
  admin_options.threads = 2;
  admin_options.max_connections = kAdminConnections;
  admin_options.max_body_bytes = 16 * 1024 * 1024;  // campaign batches
  absl::StatusOr<std::unique_ptr<http::HttpServer>> admin_server =
      http::HttpServer::Bind(admin_options, clock);
  if (!admin_server.ok()) return FailServe(View(admin_server.status().message()));

  // Everything the bidder reads, built before it: the epoch domain that guards every snapshot,
  // the audience store and its writer, market rules, the money state and its journal.
  engine::EpochDomain epoch;
  uint64_t audience_seed = 0;
  for (char c : admin::SystemRandomBytes(8))
    audience_seed = audience_seed << 8 | static_cast<uint8_t>(c);
  engine::AudienceStore audience_store(epoch, audience_seed);
  const absl::Time audiences_started = clock.Now();
  absl::StatusOr<audiences::MembershipWriterPtr> membership_writer =
      audiences::MembershipWriter::Open(
          config.data_dir, audience_store, clock, audiences::MembershipWriter::kCompactAfterBytes,
          SharedLogOrJournal(link, "audiences", config.data_dir + "/audiences.journal", time_sync));
  if (!membership_writer.ok()) return FailServe(View(membership_writer.status().message()));
  LogInfo("audiences_restored")
      .Int("users", static_cast<int64_t>(audience_store.users()))
      .Int("memberships", static_cast<int64_t>(audience_store.memberships()))
      .Double("seconds", absl::FDivDuration(clock.Now() - audiences_started, absl::Seconds(1)));
  (*membership_writer)->Start();

  absl::StatusOr<money::MarketStorePtr> market =
      link == nullptr ? money::MarketStore::Open(config.data_dir)
                      : money::MarketStore::OpenShared(SharedLog(link, "market", false));
  if (!market.ok()) return FailServe(View(market.status().message()));

  // One secret, in the data dir or the fleet's Redis; the token-signing and user-hashing keys
  // derive from it, so every node of a fleet verifies every other's notices.
  absl::StatusOr<std::string> secret =
      link == nullptr
          ? money::LoadOrCreateSecret(config.data_dir + "/notice.key", admin::SystemRandomBytes)
          : fleet::LoadOrCreateSharedSecret(*link, admin::SystemRandomBytes);
  if (!secret.ok()) return FailServe(View(secret.status().message()));
  const engine::LeaseTerms lease_terms{
      .notice_window = absl::Seconds(config.reservation_timeout_s),
      .late_allowance = absl::Seconds(config.late_notice_allowance_s),
      .term = absl::Seconds(config.lease_term_s)};
  // A fleet keeps each reservation until no notice can charge it any more.
  engine::MoneyState money_state(lease_terms.notice_window,
                                 link == nullptr
                                     ? absl::ZeroDuration()
                                     : lease_terms.notice_window + lease_terms.late_allowance);
  const absl::Time spend_started = clock.Now();
  absl::StatusOr<money::SpendWriterPtr> spend_writer = money::SpendWriter::Open(
      config.data_dir, money_state, clock,
      money::SpendWriter::Options{
          .open_log = SharedLogOrJournal(link, "notices", config.data_dir + "/spend.journal",
                                         time_sync, /*stamp_entry_times=*/true),
          .node_id = config.node_id,
          .leases = link == nullptr ? std::nullopt : std::optional(lease_terms)});
  if (!spend_writer.ok()) return FailServe(View(spend_writer.status().message()));
  LogInfo("notices_restored")
      .Int("effects", static_cast<int64_t>((*spend_writer)->replayed_effects()))
      .Double("seconds", absl::FDivDuration(clock.Now() - spend_started, absl::Seconds(1)));
  (*spend_writer)->Start();

  // SKAdNetwork answers need our id and the signing key in the data dir; without either, no bid
  // carries bid.ext.skadn. A key file that is there but unusable stops the start.
  skadn::RandomNonceSource skadn_nonces;
  std::unique_ptr<skadn::Signing> skadn_signing;
  std::unique_ptr<skadn::PoolKeeper> skadn_pool;
  {
    const std::string key_path = StrCat(config.data_dir, "/", skadn::kKeyFileName);
    absl::StatusOr<std::unique_ptr<skadn::Signer>> signer = skadn::Signer::FromPemFile(key_path);
    if (!signer.ok() && !absl::IsNotFound(signer.status())) {
      return FailServe(StrCat("the SKAdNetwork key: ", View(signer.status().message())));
    }
    if (config.skadnetwork_id.empty() || !signer.ok()) {
      LogInfo("skadnetwork")
          .Bool("answers", false)
          .Str("reason", config.skadnetwork_id.empty() ? "no --skadnetwork-id"
                                                       : StrCat("no key at ", key_path));
    } else {
      skadn_signing = std::make_unique<skadn::Signing>(config.skadnetwork_id, std::move(*signer),
                                                       clock, skadn_nonces);
      skadn_pool = std::make_unique<skadn::PoolKeeper>(skadn_signing->signer(), 4096);
      LogInfo("skadnetwork").Bool("answers", true).Str("network", config.skadnetwork_id);
    }
  }

  service::BidderOptions options;
  options.response.skadn = skadn_signing.get();
  options.max_body_bytes = public_options.max_body_bytes;
  options.access_log_sample = config.access_log_sample;
  options.pipeline.tcf_vendor_id = config.tcf_vendor_id;
  options.pipeline.default_tmax = absl::Milliseconds(config.default_tmax_ms);
  options.pipeline.max_imps_per_request = static_cast<size_t>(config.max_imps_per_request);
  options.pipeline.max_bids_per_response = static_cast<size_t>(config.max_bids_per_response);
  options.pipeline.max_bids_per_campaign = static_cast<size_t>(config.max_bids_per_campaign);
  options.pipeline.max_request_reservation_ppm = config.max_request_reservation_ppm;
  options.response.notice_base_url =
      config.public_url.empty()
          ? StrCat("http://", HostForUrl(config.listen.host), ":", (*public_server)->port())
          : config.public_url;
  // Secure imps need https notices; an http base is never rewritten to https, whose port would
  // not speak TLS.
  options.response.notice_base_url_https =
      !config.public_url_https.empty()              ? config.public_url_https
      : config.public_url.rfind("https://", 0) == 0 ? config.public_url
                                                    : std::string();
  options.pipeline.https_notices = !options.response.notice_base_url_https.empty();
  service::Bidder bidder(
      clock, epoch, options,
      service::BidderServices{.audience_store = &audience_store,
                              .membership_writer = membership_writer->get(),
                              .money = &money_state,
                              .spend_writer = spend_writer->get(),
                              .notice_secret = money::DeriveKey(*secret, "notice-token"),
                              .user_secret = money::DeriveKey(*secret, "frequency-user-key"),
                              .fleet_health = link == nullptr ? std::function<absl::Status()>()
                                                              : [link] { return link->health(); },
                              .fsync_latency = link == nullptr ? &fsync_latency : nullptr});
  bidder.AddListener("public", &(*public_server)->stats());
  bidder.AddListener("admin", &(*admin_server)->stats());

  // Each kind of snapshot has its own publication.
  bidder.PublishMarket((*market)->rules());
  (*market)->OnChange([&bidder](std::shared_ptr<const engine::MarketRules> rules) {
    bidder.PublishMarket(std::move(rules));
  });
  (*catalog)->OnAudiencesChange([&bidder](std::shared_ptr<const engine::AudienceRegistry> r) {
    bidder.PublishAudienceRegistry(std::move(r));
  });
  admin::CampaignPublisher publisher(
      **catalog,
      [&bidder](std::unique_ptr<const engine::CampaignSet> campaigns) {
        bidder.Publish(std::move(campaigns));
      },
      clock);
  publisher.PublishNow();
  // Fleet: budgets are leased from Redis before the node serves.
  std::unique_ptr<money::LeaseKeeper> lease_keeper;
  if (link != nullptr) {
    lease_keeper = std::make_unique<money::LeaseKeeper>(
        *link, money_state, **spend_writer, clock, BudgetedCampaigns(bidder),
        money::LeaseKeeper::Options{.terms = lease_terms});
    if (absl::Status s = lease_keeper->LoadFunctions(); !s.ok()) {
      return FailServe(StrCat("cannot load the money functions into redis: ", View(s.message())));
    }
    lease_keeper->Start();
    bidder.SetLeaseKeeper(lease_keeper.get());
  }

  (*public_server)->Serve([&bidder](int worker) {
    return std::make_unique<service::BidHandler>(bidder, worker);
  });
  admin::Catalog& catalog_ref = **catalog;
  money::MarketStore* market_store = market->get();
  status::StatusSampler status_sampler(bidder, catalog_ref, clock);
  status_sampler.Start();
  (*admin_server)->Serve([&bidder, &catalog_ref, market_store, &status_sampler](int) {
    return std::make_unique<service::AdminHandler>(
        bidder, std::make_unique<admin::AdminApi>(catalog_ref, bidder, market_store),
        std::make_unique<status::StatusHandler>(bidder, catalog_ref, status_sampler));
  });
  std::printf("listening public %s:%u\n", config.listen.host.c_str(), (*public_server)->port());
  LogInfo("listening")
      .Str("listener", "public")
      .Str("address", StrCat(HostForUrl(config.listen.host), ":", (*public_server)->port()));
  LogInfo("listening")
      .Str("listener", "admin")
      .Str("address", StrCat(HostForUrl(config.admin_listen.host), ":", (*admin_server)->port()));
  LogInfo("notice_urls")
      .Str("http", options.response.notice_base_url)
      .Str("https", options.response.notice_base_url_https)
      .Bool("secure_imps_bid", options.pipeline.https_notices);
  std::printf("listening admin %s:%u\n", config.admin_listen.host.c_str(), (*admin_server)->port());
  std::fflush(stdout);

  LogInfo("serving").Int("campaigns", static_cast<int64_t>((*catalog)->campaign_count()));
  publisher.Start();
  service::SummaryLog summary(bidder.metrics(), clock);
  summary.Start();
  // What other nodes change reaches this one through its follower (the audience and spend
  // writers follow their logs on their own threads).
  // Each successful follow is marked for the status page's freshness.
  auto followed = [&bidder](absl::Status s, service::Bidder::Freshness what) {
    if (s.ok()) bidder.MarkFresh(what);
    return s;
  };
  fleet::Follower follower(
      {{"catalog",
        [&] { return followed(catalog_ref.Follow(), service::Bidder::Freshness::kCatalogFollow); }},
       {"market",
        [&] {
          return followed(market_store->Follow(), service::Bidder::Freshness::kMarketFollow);
        }}},
      absl::Milliseconds(20));
  if (link != nullptr) follower.Start();
  bidder.SetReady();
  if (config.print_demo_curl) {
    std::printf(
        "ready. try:\n  curl -s -H 'Content-Type: application/json' "
        "--data-binary @docs/examples/bid-request.json http://%s:%u/openrtb2/bid\n",
        config.listen.host.c_str(), (*public_server)->port());
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo("draining").Int("signal", signal_number);
  // No bid from here on: the leases keep only what open bids need; the rest is the fleet's again.
  if (lease_keeper != nullptr) lease_keeper->HandBack();
  // Stop both listeners together, then wait: in-flight requests finish, idle ones close.
  (*public_server)->Shutdown(absl::Seconds(4));
  (*admin_server)->Shutdown(absl::Milliseconds(500));
  // Notices answered above are durable; the writer's destructor drains anything left.
  spend_writer->reset();
  LogInfo("stopped");
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "--version" || command == "version") {
    std::fputs(VersionLine().c_str(), stdout);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") return Help(rest);
  if (command == "consent") return RunConsentCommand(rest);
  if (command == "campaigns") return RunCampaignsCommand(rest, ProcessEnvironment());
  if (command == "serve") {
    if (WantsHelp(rest)) {
      std::fputs(ServeHelp().c_str(), stdout);
      return 0;
    }
    absl::StatusOr<ServeConfig> config = ParseServeConfig(rest, ProcessEnvironment(), ReadTextFile);
    if (!config.ok()) {
      std::fprintf(stderr, "vetrina serve: %s (see vetrina serve --help)\n",
                   std::string(View(config.status().message())).c_str());
      return 2;
    }
    return Serve(*config);
  }
  std::string message = StrCat("unknown command ", command);
  const std::vector<std::string_view> commands = {"serve", "campaigns", "consent", "help"};
  if (std::optional<std::string_view> hint = DidYouMean(command, commands)) {
    StrAppend(&message, "; did you mean ", *hint, "?");
  }
  return Fail(StrCat(message, " (see vetrina --help)"));
}

}  // namespace
}  // namespace vetrina::app

int main(int argc, char** argv) { return vetrina::app::Main(argc, argv); }
