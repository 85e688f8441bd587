// `vetrina serve` configuration: one typed struct, read from the command line, the environment
// and a config file, and validated before anything starts.
//
// Every option is declared once, in the table ServeOptions() returns (config.cpp): its name gives
// the flag (--admin-listen), the environment variable (VETRINA_ADMIN_LISTEN) and the config file
// key ("admin-listen"); the same entry holds its help, its range and how it sets ServeConfig. The
// flag parser, the environment and file readers, the help text, docs/configuration.md's table and
// schemas/config.schema.json all come from that table. Precedence: a flag over its environment
// variable, the variable over the config file, the file over the built-in default.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
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
  // Our SKAdNetwork id as registered with Apple ("abcd1234.skadnetwork"); empty = none, and no
  // bid carries bid.ext.skadn. The signing key is <data_dir>/skadnetwork.pem.
  std::string skadnetwork_id;
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
  // The least severe log message written: debug, info, warn or error.
  std::string log_level = "info";
  // The fraction of requests written to the access log, in [0, 1].
  double access_log_sample = 0;
};

// One `vetrina serve` option. Values arrive as text (a flag's, a variable's, or a config file
// value printed as JSON text); the type's checks (integer range, choices, non-empty) run before
// `set`, and every error is prefixed with where the value came from.
struct ServeOption {
  enum class Type { kString, kInteger, kNumber, kBoolean };
  std::string_view name;   // "admin-listen"
  std::string_view value;  // the value's placeholder in help ("HOST:PORT"); "" for a switch
  Type type = Type::kString;
  std::string_view help;
  double min = 0, max = 0;                // kInteger, kNumber: the range
  std::vector<std::string_view> choices;  // kString: the only values allowed, when not empty
  bool non_empty = false;                 // kString: "" is refused
  std::string_view pattern;               // kString: the schema's pattern, for what `set` checks
  std::function<absl::Status(std::string_view text, ServeConfig& config)> set;
  // The option's value in `config` as text, "" for none: help and docs print the default from it.
  std::function<std::string(const ServeConfig& config)> get;

  std::string Flag() const;  // "--admin-listen"
  std::string Env() const;   // "VETRINA_ADMIN_LISTEN"
};

// Every serve option, in help order.
const std::vector<ServeOption>& ServeOptions();

// `--config FILE` (or VETRINA_CONFIG): the JSON config file, which is not an option of its own.
inline constexpr std::string_view kConfigFlag = "--config";
inline constexpr std::string_view kConfigEnv = "VETRINA_CONFIG";

// Environment variables by name; main passes the process's, tests their own.
using Environment = std::map<std::string, std::string, std::less<>>;

// Reads a config file; main reads the disk (ReadTextFile), tests answer from memory.
using ReadFileFn = std::function<absl::StatusOr<std::string>(const std::string& path)>;
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// Reads the serve options: the arguments after `serve`, the VETRINA_* variables of `env` (an empty
// variable counts as unset) and the config file named by --config or VETRINA_CONFIG, read with
// `read_file`. A flag wins over its variable, a variable over the file, the file over the default;
// a repeated flag's last value wins.
absl::StatusOr<ServeConfig> ParseServeConfig(const std::vector<std::string>& args,
                                             const Environment& env, const ReadFileFn& read_file);

// Whether the arguments after `serve` ask for help (--help or -h where a flag may stand).
bool WantsHelp(const std::vector<std::string>& args);

// `vetrina serve --help`: every option on one line, with its value, range, default and variable.
std::string ServeHelp();
// docs/configuration.md's table of options.
std::string ServeOptionsMarkdown();
// schemas/config.schema.json: the config file's JSON Schema (2020-12).
std::string ConfigSchemaJson();

// The four variables the first containers passed, as a struct: ParseServeArgs turns them into an
// Environment.
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
// Empty (none), or letters and digits followed by ".skadnetwork", as Apple issues them.
bool IsValidSkadnetworkId(std::string_view id);

// ParseServeConfig with those four variables and config files read from the disk.
absl::StatusOr<ServeConfig> ParseServeArgs(const std::vector<std::string>& args,
                                           const ServeEnvironment& env = {});

}  // namespace vetrina::app
