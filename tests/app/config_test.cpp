#include "app/config.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace vetrina::app
