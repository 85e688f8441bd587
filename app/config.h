// `vetrina serve` configuration: one typed struct, parsed from the command line and validated
// before anything starts.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/redis/redis_url.h"

namespace vetrina::app {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct ServeConfig {
  HostPort listen{"127.0.0.1", 8080};
  HostPort admin_listen{"127.0.0.1", 9090};
  int threads = 1;
  std::string data_dir = "var/data";
  std::string campaigns_dir;  // seed campaigns, read at start; empty = none
  // Base of notice URLs and the /privacy page as exchanges and devices reach it: http or https.
  // Default: http://<bound listen address>, when that is not a wildcard address.
  std::string public_url;
  // The https base for imps with `secure = 1`; empty = `public_url` when that is https, else
  // none, and secure imps get no bid.
  std::string public_url_https;
  bool print_demo_curl = false;
  // How long a bid's reservation holds its budget (and its notice token stays valid).
  int reservation_timeout_s = 60;
  // Fleet: how much later than the notice window the notice log may take a notice and still
  // charge it; a budget lease holds its money that much longer (docs/money.md).
  int late_notice_allowance_s = 2;
  // Fleet: how long one lease renewal lets the node bid (engine::LeaseTerms::term).
  int lease_term_s = 10;
  // Our IAB TCF vendor id (GDPR consent is checked against it); 0 = none registered.
  int tcf_vendor_id = 0;
  // The deadline of a request without tmax.
  int default_tmax_ms = 100;
  // Open connections on the public listener; more get 503. Capped by the descriptor limit.
  int max_connections = 16'384;
  // What one bid request may take (engine::BidPipelineConfig has the reasons and defaults).
  int max_imps_per_request = 32;
  int max_bids_per_response = 16;
  int max_bids_per_campaign = 2;
  int max_request_reservation_ppm = 10'000;  // of a campaign's budget: 1%
  // Fleet mode: the Redis server (or a Cluster's seeds) the node shares its state through, and
  // the node's name in the fleet. Both empty = a single node with local journals.
  std::vector<redis::RedisEndpoint> redis;
  std::string node_id;
  // The least severe log lines written: debug, info, warn or error (base/log.h).
  std::string log_level = "info";
  // The fraction of requests, 0..1, that get an access log line.
  double access_log_sample = 0;
};

// Settings a container passes as environment variables; a flag wins over its variable.
struct ServeEnvironment {
  std::string public_url = "";        // VETRINA_PUBLIC_URL
  std::string public_url_https = "";  // VETRINA_PUBLIC_URL_HTTPS
  std::string redis = "";             // VETRINA_REDIS
  std::string node_id = "";           // VETRINA_NODE_ID
};

// Parses "HOST:PORT" ("[::1]:8080" for IPv6).
absl::StatusOr<HostPort> ParseHostPort(const std::string& text);

// Whether `host` is a wildcard address (0.0.0.0, ::), which no client can connect to.
bool IsWildcardHost(std::string_view host);

// Checks a public base URL: `scheme`://HOST[:PORT][/PATH], printable ASCII, no query, fragment or
// user info, HOST not a wildcard address. Returns it without trailing slashes.
absl::StatusOr<std::string> ParsePublicUrl(std::string_view url,
                                           std::initializer_list<std::string_view> schemes);

// Parses `--redis`: one `redis://HOST:PORT[/DB]` or a comma-separated seed list of them, no
// empty entry, no endpoint twice, every one on the same DB.
absl::StatusOr<std::vector<redis::RedisEndpoint>> ParseRedisSeeds(std::string_view text);

// A node id: 1 to 64 characters of [A-Za-z0-9._-], so it fits in Redis keys, logs and metrics
// labels as it is.
bool IsValidNodeId(std::string_view id);

// Parses the arguments after `serve`, with `env` for what the flags leave out.
absl::StatusOr<ServeConfig> ParseServeArgs(const std::vector<std::string>& args,
                                           const ServeEnvironment& env = {});

}  // namespace vetrina::app
