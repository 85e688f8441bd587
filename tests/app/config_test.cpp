#include "app/config.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "../support/files.h"
#include "base/strings.h"

namespace vetrina::app {
namespace {

TEST_CASE("HOST:PORT parsing") {
  auto hp = ParseHostPort("127.0.0.1:8080");
  REQUIRE(hp.ok());
  CHECK(hp->host == "127.0.0.1");
  CHECK(hp->port == 8080);
  hp = ParseHostPort("[::1]:0");
  REQUIRE(hp.ok());
  CHECK(hp->host == "::1");
  CHECK(hp->port == 0);
  for (const char* bad : {"8080", ":80", "host:", "host:99999", "host:8o", "host:-1"}) {
    INFO(bad);
    CHECK_FALSE(ParseHostPort(bad).ok());
  }
}

TEST_CASE("serve flags") {
  auto config = ParseServeArgs({"--listen", "0.0.0.0:80", "--admin-listen", "127.0.0.1:0",
                                "--threads", "4", "--data-dir", "/tmp/x", "--campaigns", "c",
                                "--public-url", "https://bid.example"});
  REQUIRE(config.ok());
  CHECK(config->listen.port == 80);
  CHECK(config->admin_listen.port == 0);
  CHECK(config->threads == 4);
  CHECK(config->data_dir == "/tmp/x");
  CHECK(config->campaigns_dir == "c");
  CHECK(config->public_url == "https://bid.example");
  CHECK_FALSE(ParseServeArgs({"--threads", "0"}).ok());
  CHECK_FALSE(ParseServeArgs({"--threads"}).ok());
  CHECK(ParseServeArgs({"--max-connections", "50000"})->max_connections == 50'000);
  CHECK_FALSE(ParseServeArgs({"--max-connections", "0"}).ok());
  CHECK_FALSE(ParseServeArgs({"--max-connections", "10k"}).ok());
  CHECK_FALSE(ParseServeArgs({"--frobnicate", "1"}).ok());
  // What one bid request may take.
  auto limits =
      ParseServeArgs({"--max-imps-per-request", "8", "--max-bids-per-response", "4",
                      "--max-bids-per-campaign", "1", "--max-request-reservation-ppm", "500"});
  REQUIRE(limits.ok());
  CHECK(limits->max_imps_per_request == 8);
  CHECK(limits->max_bids_per_response == 4);
  CHECK(limits->max_bids_per_campaign == 1);
  CHECK(limits->max_request_reservation_ppm == 500);
  CHECK(ParseServeArgs({})->max_bids_per_response == 16);
  CHECK_FALSE(ParseServeArgs({"--max-bids-per-response", "0"}).ok());
  CHECK_FALSE(ParseServeArgs({"--max-imps-per-request", "many"}).ok());
  CHECK_FALSE(ParseServeArgs({"--max-request-reservation-ppm", "1000001"}).ok());
  CHECK_FALSE(ParseServeArgs({"--data-dir", ""}).ok());
}

TEST_CASE("the log level and the access log's sample") {
  auto defaults = ParseServeArgs({});
  REQUIRE(defaults.ok());
  CHECK(defaults->log_level == "info");
  CHECK(defaults->access_log_sample == 0);
  auto set = ParseServeArgs({"--log-level", "debug", "--access-log-sample", "0.25"});
  REQUIRE(set.ok());
  CHECK(set->log_level == "debug");
  CHECK(set->access_log_sample == 0.25);
  CHECK(ParseServeArgs({"--access-log-sample", "1"})->access_log_sample == 1);
  for (const char* bad : {"verbose", "INFO", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseServeArgs({"--log-level", bad}).ok());
  }
  for (const char* bad : {"-0.1", "1.5", "nan", "half", "0.5x", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseServeArgs({"--access-log-sample", bad}).ok());
  }
}

TEST_CASE("public URLs are checked at start-up") {
  struct Row {
    const char* rule;
    const char* url;
    const char* normalised;  // nullptr: refused
  } rows[] = {
      {"RFC 3986 §3: scheme and host", "http://bid.example", "http://bid.example"},
      {"RFC 3986 §3.2.3: a port", "http://10.0.0.5:8080", "http://10.0.0.5:8080"},
      {"RFC 3986 §3.3: a path prefix, trailing slashes dropped", "https://bid.example/rtb/",
       "https://bid.example/rtb"},
      {"RFC 3986 §3.2.2: an IPv6 literal", "http://[2001:db8::1]:8080",
       "http://[2001:db8::1]:8080"},
      {"RFC 3986 §3: a scheme is required", "not a url", nullptr},
      {"RFC 3986 §3: a scheme is required", "bid.example:8080", nullptr},
      {"RFC 9110 §4.2: http or https only", "ftp://bid.example", nullptr},
      {"RFC 3986 §3.2.2: a host is required", "http://", nullptr},
      {"RFC 3986 §3.2.2: a host is required", "http://:8080/x", nullptr},
      {"RFC 3986 §3.4: no query", "http://bid.example/?a=1", nullptr},
      {"RFC 3986 §3.5: no fragment", "http://bid.example/#x", nullptr},
      {"RFC 3986 §3.2.1: no user info", "http://user:pw@bid.example", nullptr},
      {"RFC 3986 §3.2.3: port in [1, 65535]", "http://bid.example:0", nullptr},
      {"RFC 3986 §3.2.3: port in [1, 65535]", "http://bid.example:65536", nullptr},
      {"RFC 3986 §3.2.3: port is digits", "http://bid.example:80a", nullptr},
      {"printable ASCII only", "http://bid.example/a b", nullptr},
      {"printable ASCII only", "http://bid.exämple", nullptr},
      {"wildcard address: 0.0.0.0", "http://0.0.0.0:8080", nullptr},
      {"wildcard address: [::]", "http://[::]:8080", nullptr},
      {"wildcard address: 0, as inet_aton reads it", "http://0:8080", nullptr},
      {"wildcard address: 0x0, as inet_aton reads it", "http://0x0/", nullptr},
      {"wildcard address: a trailing dot", "http://0.0.0.0./", nullptr},
      {"wildcard address: [0::0]", "http://[0::0]", nullptr},
      {"wildcard address: IPv4-mapped", "http://[::ffff:0.0.0.0]", nullptr},
      {"RFC 3986 §3.2.2: a host name, not dots", "http://./x", nullptr},
      {"RFC 3986 §3.3: no quote in a path (it would end an HTML attribute)",
       "http://bid.example/a\"b", nullptr},
      {"RFC 3986 §3.3: no angle bracket in a path (it would end VAST's CDATA)",
       "http://bid.example/a]]>", nullptr},
      {"RFC 3986 §3.3: pchar in a path", "http://bid.example/rtb~1/a-b_c.d",
       "http://bid.example/rtb~1/a-b_c.d"},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.url);
    absl::StatusOr<std::string> url = ParsePublicUrl(row.url, {"http", "https"});
    if (row.normalised == nullptr) {
      CHECK_FALSE(url.ok());
    } else {
      REQUIRE(url.ok());
      CHECK(*url == row.normalised);
    }
  }
  CHECK_FALSE(ParsePublicUrl("http://bid.example", {"https"}).ok());
}

TEST_CASE("serve refuses bad public URLs with a message naming the flag") {
  absl::StatusOr<ServeConfig> config = ParseServeArgs({"--public-url", "not a url"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("--public-url") != std::string_view::npos);
  CHECK(config.status().message().find("not a url") != std::string_view::npos);
  config = ParseServeArgs({"--public-url-https", "http://bid.example"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("--public-url-https") != std::string_view::npos);
  config = ParseServeArgs({"--public-url", "http://0.0.0.0:8080"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("wildcard") != std::string_view::npos);
  config = ParseServeArgs(
      {"--public-url", "http://bid.example:8080", "--public-url-https", "https://bid.example/"});
  REQUIRE(config.ok());
  CHECK(config->public_url_https == "https://bid.example");
}

TEST_CASE("a wildcard listen address needs a public URL, from a flag or the environment") {
  for (const char* listen : {"0.0.0.0:8080", "[::]:8080"}) {
    INFO(listen);
    absl::StatusOr<ServeConfig> config = ParseServeArgs({"--listen", listen});
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message().find("--public-url") != std::string_view::npos);
    CHECK(config.status().message().find("VETRINA_PUBLIC_URL") != std::string_view::npos);
  }
  // The container's way: the variables stand in for the flags.
  absl::StatusOr<ServeConfig> config = ParseServeArgs(
      {"--listen", "0.0.0.0:8080"},
      {.public_url = "http://bid.example:8080", .public_url_https = "https://bid.example"});
  REQUIRE(config.ok());
  CHECK(config->public_url == "http://bid.example:8080");
  CHECK(config->public_url_https == "https://bid.example");
  // A flag wins over its variable, and a bad variable is named as such.
  config =
      ParseServeArgs({"--public-url", "http://flag.example"}, {.public_url = "http://env.example"});
  REQUIRE(config.ok());
  CHECK(config->public_url == "http://flag.example");
  config = ParseServeArgs({}, {.public_url = "http://0.0.0.0:8080"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("VETRINA_PUBLIC_URL") != std::string_view::npos);
  // A real listen host derives the default, so no public URL is needed.
  CHECK(ParseServeArgs({"--listen", "127.0.0.1:8080"}).ok());
}

TEST_CASE("--redis takes one redis:// URL or a comma-separated seed list") {
  struct Row {
    const char* rule;
    const char* text;
    size_t seeds;  // 0: refused
  } rows[] = {
      {"one server", "redis://127.0.0.1:6390", 1},
      {"one server, a database", "redis://127.0.0.1:6390/2", 1},
      {"a Cluster's seeds", "redis://10.0.0.1:7000,redis://10.0.0.2:7000,redis://[::1]:7000", 3},
      {"every entry is a redis:// URL", "redis://127.0.0.1:6390,127.0.0.1:6391", 0},
      {"no empty entry", "redis://127.0.0.1:6390,", 0},
      {"no empty entry", ",redis://127.0.0.1:6390", 0},
      {"no space around the commas", "redis://127.0.0.1:6390, redis://127.0.0.1:6391", 0},
      {"no endpoint twice", "redis://127.0.0.1:6390,redis://127.0.0.1:6390/0", 0},
      {"one database for all seeds", "redis://127.0.0.1:6390/1,redis://127.0.0.1:6391/2", 0},
      {"no credentials", "redis://user:pw@127.0.0.1:6390", 0},
      {"no TLS", "rediss://127.0.0.1:6390", 0},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.text);
    absl::StatusOr<std::vector<redis::RedisEndpoint>> seeds = ParseRedisSeeds(row.text);
    if (row.seeds == 0) {
      CHECK_FALSE(seeds.ok());
    } else {
      REQUIRE(seeds.ok());
      CHECK(seeds->size() == row.seeds);
    }
  }
  absl::StatusOr<std::vector<redis::RedisEndpoint>> seeds =
      ParseRedisSeeds("redis://10.0.0.1:7000/3,redis://[::1]:7001/3");
  REQUIRE(seeds.ok());
  CHECK((*seeds)[0] == redis::RedisEndpoint{"10.0.0.1", 7000, 3});
  CHECK((*seeds)[1] == redis::RedisEndpoint{"::1", 7001, 3});
}

TEST_CASE("a node id is 1 to 64 characters of [A-Za-z0-9._-]") {
  for (std::string good : {std::string("n"), std::string("node-1"), std::string("eu_west.3"),
                           std::string("A9"), std::string(64, 'x')}) {
    INFO(good);
    CHECK(IsValidNodeId(good));
  }
  for (std::string bad :
       {std::string(), std::string(65, 'x'), std::string("node 1"), std::string("node:1"),
        std::string("node{1}"), std::string("n\xc3\xa9"), std::string("n/1"), std::string("n\n")}) {
    INFO(bad);
    CHECK_FALSE(IsValidNodeId(bad));
  }
}

TEST_CASE("a SKAdNetwork id is letters and digits, then .skadnetwork; empty is none") {
  for (std::string_view good : {"", "cdkw7geqsh.skadnetwork", "Example123.skadnetwork"}) {
    INFO(good);
    CHECK(IsValidSkadnetworkId(good));
  }
  for (std::string_view bad :
       {".skadnetwork", "cdkw7geqsh", "cdkw7geqsh.skadnetwork.evil", "cdkw-7geqsh.skadnetwork",
        "\x01"
        "bad",
        "a b.skadnetwork"}) {
    INFO(bad);
    CHECK_FALSE(IsValidSkadnetworkId(bad));
  }
}

TEST_CASE("fleet mode: --redis and --node-id come together") {
  absl::StatusOr<ServeConfig> config =
      ParseServeArgs({"--redis", "redis://127.0.0.1:6390/1", "--node-id", "node-1"});
  REQUIRE(config.ok());
  REQUIRE(config->redis.size() == 1);
  CHECK(config->redis[0] == redis::RedisEndpoint{"127.0.0.1", 6390, 1});
  CHECK(config->node_id == "node-1");
  // Single node is the default.
  config = ParseServeArgs({});
  REQUIRE(config.ok());
  CHECK(config->redis.empty());
  CHECK(config->node_id.empty());

  struct Row {
    const char* rule;
    std::vector<std::string> args;
    const char* message;  // a part of the refusal
  } refused[] = {
      {"--redis without --node-id", {"--redis", "redis://127.0.0.1:6390"}, "--node-id"},
      {"--node-id without --redis", {"--node-id", "node-1"}, "--redis"},
      {"an empty --redis", {"--redis", "", "--node-id", "node-1"}, "--redis"},
      {"an empty --node-id", {"--redis", "redis://127.0.0.1:6390", "--node-id", ""}, "--node-id"},
      {"a bad node id", {"--redis", "redis://127.0.0.1:6390", "--node-id", "node 1"}, "node 1"},
      {"a bad URL is quoted",
       {"--redis", "redis://127.0.0.1", "--node-id", "n"},
       "redis://127.0.0.1"},
      {"a bad seed list names the flag",
       {"--redis", "redis://127.0.0.1:1,", "--node-id", "n"},
       "--redis"},
  };
  for (const Row& row : refused) {
    INFO(row.rule);
    config = ParseServeArgs(row.args);
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message().find(row.message) != std::string_view::npos);
  }
}

TEST_CASE("fleet mode from the environment; a flag wins over its variable") {
  absl::StatusOr<ServeConfig> config =
      ParseServeArgs({}, {.redis = "redis://10.0.0.1:6379", .node_id = "env-node"});
  REQUIRE(config.ok());
  REQUIRE(config->redis.size() == 1);
  CHECK(config->redis[0].host == "10.0.0.1");
  CHECK(config->node_id == "env-node");
  config = ParseServeArgs({"--redis", "redis://10.0.0.2:6379", "--node-id", "flag-node"},
                          {.redis = "redis://10.0.0.1:6379", .node_id = "env-node"});
  REQUIRE(config.ok());
  CHECK(config->redis[0].host == "10.0.0.2");
  CHECK(config->node_id == "flag-node");
  // A variable fills in what the flags leave out.
  config = ParseServeArgs({"--redis", "redis://10.0.0.2:6379"}, {.node_id = "env-node"});
  REQUIRE(config.ok());
  CHECK(config->node_id == "env-node");
  // A bad variable is named as such.
  config = ParseServeArgs({}, {.redis = "redis://nowhere", .node_id = "n"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("VETRINA_REDIS") != std::string_view::npos);
  config = ParseServeArgs({}, {.redis = "redis://10.0.0.1:6379", .node_id = "bad id"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("VETRINA_NODE_ID") != std::string_view::npos);
  config = ParseServeArgs({}, {.node_id = "n"});
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("VETRINA_NODE_ID") != std::string_view::npos);
}

// No config file unless a test gives one.
absl::StatusOr<std::string> NoFile(const std::string& path) {
  return absl::NotFoundError(path + ": cannot read the file");
}

// A config file `vetrina.json` holding `text`.
ReadFileFn File(std::string text) {
  return [text](const std::string& path) -> absl::StatusOr<std::string> {
    if (path != "vetrina.json") return absl::NotFoundError(path + ": cannot read the file");
    return text;
  };
}

std::string Message(const absl::StatusOr<ServeConfig>& config) {
  REQUIRE_FALSE(config.ok());
  return std::string(config.status().message());
}

TEST_CASE("every option has a flag, a VETRINA_ variable and a config key of the same name") {
  std::vector<std::string> names;
  for (const ServeOption& option : ServeOptions()) {
    INFO(option.name);
    names.emplace_back(option.name);
    CHECK(option.Flag() == "--" + std::string(option.name));
    CHECK(option.help.size() > 10);
    CHECK((option.type == ServeOption::Type::kBoolean) == option.value.empty());
  }
  const ServeOption* admin = nullptr;
  for (const ServeOption& option : ServeOptions()) {
    if (option.name == "admin-listen") admin = &option;
  }
  REQUIRE(admin != nullptr);
  CHECK(admin->Env() == "VETRINA_ADMIN_LISTEN");
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  for (const char* name : {"listen",
                           "admin-listen",
                           "threads",
                           "data-dir",
                           "campaigns",
                           "public-url",
                           "public-url-https",
                           "print-demo-curl",
                           "reservation-timeout",
                           "late-notice-allowance",
                           "lease-term",
                           "tcf-vendor-id",
                           "default-tmax-ms",
                           "max-connections",
                           "max-imps-per-request",
                           "max-bids-per-response",
                           "max-bids-per-campaign",
                           "max-request-reservation-ppm",
                           "redis",
                           "node-id",
                           "log-level",
                           "access-log-sample"}) {
    INFO(name);
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
  }
}

TEST_CASE("every option can be set from each source, to the same effect") {
  // One value per option, not its default.
  const std::map<std::string, std::pair<std::string, std::string>> values = {
      // name: {text for a flag or variable, JSON for the file}
      {"listen", {"127.0.0.1:8181", "\"127.0.0.1:8181\""}},
      {"admin-listen", {"127.0.0.1:9191", "\"127.0.0.1:9191\""}},
      {"threads", {"3", "3"}},
      {"data-dir", {"/srv/v", "\"/srv/v\""}},
      {"campaigns", {"seed", "\"seed\""}},
      {"public-url", {"http://bid.example", "\"http://bid.example\""}},
      {"public-url-https", {"https://bid.example", "\"https://bid.example\""}},
      {"print-demo-curl", {"true", "true"}},
      {"reservation-timeout", {"30", "30"}},
      {"late-notice-allowance", {"5", "5"}},
      {"lease-term", {"20", "20"}},
      {"tcf-vendor-id", {"755", "755"}},
      {"default-tmax-ms", {"250", "250"}},
      {"max-connections", {"1000", "1000"}},
      {"max-imps-per-request", {"4", "4"}},
      {"max-bids-per-response", {"5", "5"}},
      {"max-bids-per-campaign", {"3", "3"}},
      {"max-request-reservation-ppm", {"20000", "20000"}},
      {"redis", {"redis://10.0.0.1:6379/2", "\"redis://10.0.0.1:6379/2\""}},
      {"node-id", {"n1", "\"n1\""}},
      {"log-level", {"debug", "\"debug\""}},
      {"access-log-sample", {"0.25", "0.25"}},
      {"skadnetwork-id", {"example123.skadnetwork", "\"example123.skadnetwork\""}},
  };
  REQUIRE(values.size() == ServeOptions().size());
  std::vector<std::string> args;
  Environment env;
  std::string file = "{";
  for (const ServeOption& option : ServeOptions()) {
    const auto& [text, json] = values.at(std::string(option.name));
    args.push_back(option.Flag());
    if (option.type != ServeOption::Type::kBoolean) args.push_back(text);
    env[option.Env()] = text;
    StrAppend(&file, file.size() > 1 ? ", " : "", "\"", option.name, "\": ", json);
  }
  file += "}";
  const absl::StatusOr<ServeConfig> from_flags = ParseServeConfig(args, {}, NoFile);
  const absl::StatusOr<ServeConfig> from_env = ParseServeConfig({}, env, NoFile);
  const absl::StatusOr<ServeConfig> from_file =
      ParseServeConfig({"--config", "vetrina.json"}, {}, File(file));
  for (const absl::StatusOr<ServeConfig>* config : {&from_flags, &from_env, &from_file}) {
    REQUIRE(config->ok());
    const ServeConfig defaults;
    for (const ServeOption& option : ServeOptions()) {
      INFO(option.name);
      CHECK(option.get(**config) == values.at(std::string(option.name)).first);
      CHECK(option.get(**config) != option.get(defaults));
    }
  }
  CHECK(from_file->threads == 3);
  CHECK(from_file->log_level == "debug");
  CHECK(from_file->access_log_sample == 0.25);
  CHECK(from_file->print_demo_curl);
  CHECK(from_env->listen.port == 8181);
}

TEST_CASE("defaults: info logging, no access log") {
  absl::StatusOr<ServeConfig> config = ParseServeConfig({}, {}, NoFile);
  REQUIRE(config.ok());
  CHECK(config->log_level == "info");
  CHECK(config->access_log_sample == 0);
  CHECK(config->threads == 1);
  CHECK(config->listen.port == 8080);
}

TEST_CASE("precedence: a flag over its variable over the config file over the default") {
  const ReadFileFn file = File(R"({"threads": 2, "lease-term": 7, "log-level": "warn"})");
  const Environment env = {{"VETRINA_THREADS", "3"}, {"VETRINA_LEASE_TERM", "8"}};
  absl::StatusOr<ServeConfig> config =
      ParseServeConfig({"--config", "vetrina.json", "--threads", "4"}, env, file);
  REQUIRE(config.ok());
  CHECK(config->threads == 4);            // flag over variable and file
  CHECK(config->lease_term_s == 8);       // variable over file
  CHECK(config->log_level == "warn");     // file over default
  CHECK(config->default_tmax_ms == 100);  // default
  // The config file can be named by VETRINA_CONFIG too, and an empty variable counts as unset.
  config =
      ParseServeConfig({}, {{"VETRINA_CONFIG", "vetrina.json"}, {"VETRINA_THREADS", ""}}, file);
  REQUIRE(config.ok());
  CHECK(config->threads == 2);
  // A repeated flag's last value wins; --flag=value works too.
  config = ParseServeConfig({"--threads", "5", "--threads=6"}, {}, NoFile);
  REQUIRE(config.ok());
  CHECK(config->threads == 6);
}

TEST_CASE("unknown options and missing values are named, with a likely flag") {
  CHECK(Message(ParseServeConfig({"--bogus"}, {}, NoFile)) == "unknown option --bogus");
  CHECK(Message(ParseServeConfig({"--lisen", "127.0.0.1:1"}, {}, NoFile)) ==
        "unknown option --lisen; did you mean --listen?");
  CHECK(Message(ParseServeConfig({"--admin-listn", "127.0.0.1:1"}, {}, NoFile)) ==
        "unknown option --admin-listn; did you mean --admin-listen?");
  CHECK(Message(ParseServeConfig({"--threads"}, {}, NoFile)) == "--threads needs a value (N)");
  CHECK(Message(ParseServeConfig({"--listen", "--threads", "2"}, {}, NoFile)) ==
        "--listen needs a value (HOST:PORT)");
  CHECK(Message(ParseServeConfig({"--config"}, {}, NoFile)) == "--config needs a value (FILE)");
  CHECK(Message(ParseServeConfig({"serve"}, {}, NoFile)) ==
        "unexpected argument \"serve\" (options start with --)");
}

TEST_CASE("bad values name their source: flag, variable or config file key") {
  CHECK(Message(ParseServeConfig({"--threads", "0"}, {}, NoFile)) ==
        "--threads: must be an integer in [1, 128], got \"0\"");
  CHECK(Message(ParseServeConfig({}, {{"VETRINA_THREADS", "many"}}, NoFile)) ==
        "VETRINA_THREADS: must be an integer in [1, 128], got \"many\"");
  CHECK(Message(ParseServeConfig({"--config", "vetrina.json"}, {}, File(R"({"threads": 500})"))) ==
        "vetrina.json: \"threads\": must be an integer in [1, 128], got \"500\"");
  CHECK(Message(ParseServeConfig({"--log-level", "verbose"}, {}, NoFile)) ==
        "--log-level: must be one of debug, info, warn, error, got \"verbose\"");
  CHECK(Message(ParseServeConfig({"--access-log-sample", "1.5"}, {}, NoFile)) ==
        "--access-log-sample: must be a number in [0, 1], got \"1.5\"");
  CHECK(Message(ParseServeConfig({"--access-log-sample", "-0.1"}, {}, NoFile)) ==
        "--access-log-sample: must be a number in [0, 1], got \"-0.1\"");
  CHECK(Message(ParseServeConfig({}, {{"VETRINA_PRINT_DEMO_CURL", "maybe"}}, NoFile)) ==
        "VETRINA_PRINT_DEMO_CURL: must be true or false, got \"maybe\"");
  CHECK(ParseServeConfig({}, {{"VETRINA_PRINT_DEMO_CURL", "1"}}, NoFile)->print_demo_curl);
  CHECK_FALSE(ParseServeConfig({}, {{"VETRINA_PRINT_DEMO_CURL", "no"}}, NoFile)->print_demo_curl);
  CHECK(Message(ParseServeConfig({}, {{"VETRINA_LISTEN", "nowhere"}}, NoFile))
            .rfind("VETRINA_LISTEN: ", 0) == 0);
}

TEST_CASE("the config file is checked like its schema: keys, types, JSON syntax") {
  struct Row {
    const char* rule;
    const char* file;
    const char* message;
  } rows[] = {
      {"additionalProperties: false, with a hint", R"({"lisen": "127.0.0.1:1"})",
       "vetrina.json: unknown key \"lisen\"; did you mean \"listen\"?"},
      {"additionalProperties: false", R"({"colour": "blue"})",
       "vetrina.json: unknown key \"colour\""},
      {"keys are option names, not flags", R"({"--threads": 2})",
       "vetrina.json: unknown key \"--threads\"; did you mean \"threads\"?"},
      {"type: integer", R"({"threads": "2"})", "vetrina.json: \"threads\" must be an integer"},
      {"type: integer", R"({"threads": 2.5})", "vetrina.json: \"threads\" must be an integer"},
      {"type: string", R"({"listen": 8080})", "vetrina.json: \"listen\" must be a string"},
      {"type: boolean", R"({"print-demo-curl": "yes"})",
       "vetrina.json: \"print-demo-curl\" must be a boolean (true or false)"},
      {"type: number", R"({"access-log-sample": "all"})",
       "vetrina.json: \"access-log-sample\" must be a number"},
      {"minLength: 1", R"({"data-dir": ""})", "vetrina.json: \"data-dir\": must not be empty"},
      {"type: object", R"(["threads", 2])",
       "vetrina.json: must be a JSON object of option names and values"},
      {"RFC 8259: JSON syntax, with line and column", "{\n  \"threads\": 2,\n}",
       "vetrina.json: invalid JSON at line 3, column 1: expected a string (an object member's "
       "name)"},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    CHECK(Message(ParseServeConfig({"--config", "vetrina.json"}, {}, File(row.file))) ==
          row.message);
  }
  // JSON Schema's integer includes 2.0.
  absl::StatusOr<ServeConfig> config =
      ParseServeConfig({"--config", "vetrina.json"}, {}, File(R"({"threads": 2.0})"));
  REQUIRE(config.ok());
  CHECK(config->threads == 2);
  CHECK(Message(ParseServeConfig({"--config", "missing.json"}, {}, File("{}"))) ==
        "missing.json: cannot read the file");
}

TEST_CASE("fleet mode and the wildcard check see every source") {
  const ReadFileFn file = File(R"({"redis": "redis://10.0.0.1:6379", "listen": "0.0.0.0:80"})");
  std::string message = Message(ParseServeConfig({"--config", "vetrina.json"}, {}, file));
  CHECK(message.rfind("vetrina.json: \"redis\" joins a fleet", 0) == 0);
  message =
      Message(ParseServeConfig({"--config", "vetrina.json"}, {{"VETRINA_NODE_ID", "n1"}}, file));
  CHECK(message.rfind("vetrina.json: \"listen\" 0.0.0.0 is a wildcard address", 0) == 0);
  absl::StatusOr<ServeConfig> config =
      ParseServeConfig({"--config", "vetrina.json", "--public-url", "http://bid.example"},
                       {{"VETRINA_NODE_ID", "n1"}}, file);
  REQUIRE(config.ok());
  CHECK(config->node_id == "n1");
  CHECK(config->redis.size() == 1);
}

TEST_CASE("--help is found where a flag may stand") {
  CHECK(WantsHelp({"--help"}));
  CHECK(WantsHelp({"-h"}));
  CHECK(WantsHelp({"--threads", "2", "--help"}));
  CHECK(WantsHelp({"--bogus", "--help"}));
  CHECK(WantsHelp({"--print-demo-curl", "--help"}));
  CHECK_FALSE(WantsHelp({"--threads", "2"}));
  CHECK_FALSE(WantsHelp({"--campaigns", "-h"}));  // a directory named -h
}

TEST_CASE("help describes every option on one line: value, range, default, variable") {
  const std::string help = ServeHelp();
  for (const ServeOption& option : ServeOptions()) {
    INFO(option.name);
    const size_t at = help.find("  " + option.Flag() + " ");
    REQUIRE(at != std::string::npos);
    const std::string line = help.substr(at, help.find('\n', at) - at);
    CHECK(line.find(std::string(option.help)) != std::string::npos);
    CHECK(line.find("env " + option.Env()) != std::string::npos);
    CHECK(line.find("default ") != std::string::npos);
  }
  CHECK(help.find("--threads N ") != std::string::npos);
  CHECK(help.find("an integer in [1, 128]; default 1; env VETRINA_THREADS") != std::string::npos);
  CHECK(help.find("one of debug, info, warn, error; default info; env VETRINA_LOG_LEVEL") !=
        std::string::npos);
  CHECK(help.find("--config FILE") != std::string::npos);
  CHECK(help.find("A flag wins over its variable, a\nvariable over the file, the file over the "
                  "default") != std::string::npos);
}

TEST_CASE("docs/configuration.md has the table of options the code has") {
  const std::string docs = testing::ReadFile(testing::SourceDir() / "docs" / "configuration.md");
  // Regenerate with: vetrina help config-markdown
  CHECK(docs.find(ServeOptionsMarkdown()) != std::string::npos);
  for (const ServeOption& option : ServeOptions()) {
    INFO(option.name);
    CHECK(docs.find(option.Flag()) != std::string::npos);
    CHECK(docs.find(option.Env()) != std::string::npos);
  }
}

TEST_CASE("schemas/config.schema.json has a property for every option") {
  // tests/integration/test_cli.py checks it equals `vetrina help config-schema`, as JSON.
  const std::string shipped =
      testing::ReadFile(testing::SourceDir() / "schemas" / "config.schema.json");
  for (const ServeOption& option : ServeOptions()) {
    INFO(option.name);
    CHECK(shipped.find(StrCat("\"", option.name, "\": {")) != std::string::npos);
  }
  CHECK(ConfigSchemaJson().find("\"additionalProperties\":false") != std::string::npos);
}

}  // namespace
}  // namespace vetrina::app
