#include "app/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "base/did_you_mean.h"
#include "base/json_syntax.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::app {

absl::StatusOr<HostPort> ParseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(StrCat("expected HOST:PORT, got \"", text, "\""));
  }
  HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535 || port.empty()) {
    return absl::InvalidArgumentError(StrCat("bad port in \"", text, "\""));
  }
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

// Whether `host` is an unspecified address in any spelling the resolver accepts: "0.0.0.0",
// "0", "0x0", "0.0.0.0." (inet_aton's forms), "::", "[0::0]", "::ffff:0.0.0.0".
bool IsWildcardHost(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const std::string text(host);
  in_addr v4{};
  if (inet_aton(text.c_str(), &v4) != 0) return v4.s_addr == INADDR_ANY;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      return v6.s6_addr[12] == 0 && v6.s6_addr[13] == 0 && v6.s6_addr[14] == 0 &&
             v6.s6_addr[15] == 0;
    }
  }
  return false;
}

// A path prefix's characters: RFC 3986 pchar and '/', less '&' and '\'' and the percent sign's
// neighbours that HTML attributes and VAST CDATA would have to escape ('"', '<', '>', '\\').
bool IsPathChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~/%!$()*+,;=:@").find(c) != std::string_view::npos;
}

absl::StatusOr<std::string> ParsePublicUrl(std::string_view url,
                                           std::initializer_list<std::string_view> schemes) {
  auto bad = [&](std::string_view why) {
    std::string expected;
    for (std::string_view s : schemes) StrAppend(&expected, expected.empty() ? "" : " or ", s);
    return absl::InvalidArgumentError(StrCat("\"", url, "\" is not a usable public URL: ", why,
                                             " (expected ", expected, "://HOST[:PORT][/PATH])"));
  };
  for (char c : url) {
    if (c <= ' ' || c > '~') return bad("only printable ASCII, without spaces");
  }
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return bad("no scheme");
  const std::string_view scheme = url.substr(0, colon);
  if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) {
    return bad(StrCat("scheme ", scheme));
  }
  if (url.find_first_of("?#") != std::string_view::npos) return bad("a query or fragment");
  const std::string_view rest = url.substr(colon + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) return bad("user info");
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("an unclosed [");
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!port.empty() && port.front() != ':') return bad("text after the ]");
    if (host.size() == 2 ||
        host.find_first_not_of("[]0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return bad("a malformed IPv6 address");
    }
  } else if (const size_t at = host.find(':'); at != std::string_view::npos) {
    port = host.substr(at);
    host = host.substr(0, at);
  }
  if (host.empty()) return bad("no host");
  if (host.front() != '[' &&
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
          std::string_view::npos) {
    return bad("a host with characters a host name cannot have");
  }
  if (host.find_first_not_of(".-") == std::string_view::npos) return bad("no host name");
  if (IsWildcardHost(host)) {
    return bad(StrCat(host, " is a wildcard address no exchange or device can reach"));
  }
  const std::string_view path = rest.substr(authority.size());
  if (!std::all_of(path.begin(), path.end(), IsPathChar)) {
    return bad("a path with characters markup would have to escape");
  }
  if (!port.empty()) {
    port.remove_prefix(1);  // ':'
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return bad("a port outside [1, 65535]");
    }
  }
  while (!url.empty() && url.back() == '/' && url.size() > colon + 3 + authority.size()) {
    url.remove_suffix(1);
  }
  return std::string(url);
}

absl::StatusOr<std::vector<redis::RedisEndpoint>> ParseRedisSeeds(std::string_view text) {
  std::vector<redis::RedisEndpoint> seeds;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view url = text.substr(start, comma - start);
    start = comma + 1;
    if (url.empty()) {
      return absl::InvalidArgumentError(
          StrCat("\"", text,
                 "\" has an empty entry (expected redis://HOST:PORT[/DB], or several "
                 "separated by commas)"));
    }
    VETRINA_ASSIGN_OR_RETURN(redis::RedisEndpoint endpoint, redis::ParseRedisUrl(url));
    if (std::find(seeds.begin(), seeds.end(), endpoint) != seeds.end()) {
      return absl::InvalidArgumentError(StrCat("\"", text, "\" names ", url, " twice"));
    }
    if (!seeds.empty() && endpoint.db != seeds.front().db) {
      return absl::InvalidArgumentError(StrCat("\"", text, "\" mixes databases ", seeds.front().db,
                                               " and ", endpoint.db,
                                               ": the seeds of one fleet share one database"));
    }
    seeds.push_back(std::move(endpoint));
  }
  return seeds;
}

bool IsValidNodeId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool IsValidSkadnetworkId(std::string_view id) {
  constexpr std::string_view kSuffix = ".skadnetwork";
  if (id.empty()) return true;
  if (id.size() <= kSuffix.size() || id.substr(id.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  const std::string_view name = id.substr(0, id.size() - kSuffix.size());
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); });
}

namespace {

using Type = ServeOption::Type;

std::string FormatNumber(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

std::string FormatHostPort(const HostPort& hp) {
  return StrCat(hp.host.find(':') != std::string::npos ? StrCat("[", hp.host, "]") : hp.host, ":",
                hp.port);
}

// An option's name, placeholder, type and help; the caller adds the rest.
ServeOption Option(std::string_view name, std::string_view value, ServeOption::Type type,
                   std::string_view help) {
  ServeOption option;
  option.name = name;
  option.value = value;
  option.type = type;
  option.help = help;
  return option;
}

// An integer option, stored in `field`.
ServeOption IntOption(std::string_view name, std::string_view value, std::string_view help,
                      int ServeConfig::*field, int min, int max) {
  ServeOption option = Option(name, value, Type::kInteger, help);
  option.min = min;
  option.max = max;
  option.set = [field](std::string_view text, ServeConfig& c) {
    std::from_chars(text.data(), text.data() + text.size(), c.*field);
    return absl::OkStatus();
  };
  option.get = [field](const ServeConfig& c) { return StrCat(c.*field); };
  return option;
}

// A string option stored as it is in `field`.
ServeOption StringOption(std::string_view name, std::string_view value, std::string_view help,
                         std::string ServeConfig::*field, bool non_empty = false) {
  ServeOption option = Option(name, value, Type::kString, help);
  option.non_empty = non_empty;
  option.set = [field](std::string_view text, ServeConfig& c) {
    c.*field = std::string(text);
    return absl::OkStatus();
  };
  option.get = [field](const ServeConfig& c) { return c.*field; };
  return option;
}

// A host and port to listen on.
ServeOption ListenOption(std::string_view name, std::string_view help,
                         HostPort ServeConfig::*field) {
  ServeOption option = Option(name, "HOST:PORT", Type::kString, help);
  option.set = [field](std::string_view text, ServeConfig& c) -> absl::Status {
    VETRINA_ASSIGN_OR_RETURN(c.*field, ParseHostPort(std::string(text)));
    return absl::OkStatus();
  };
  option.get = [field](const ServeConfig& c) { return FormatHostPort(c.*field); };
  return option;
}

// A public base URL of `schemes`; "" is none.
ServeOption PublicUrlOption(std::string_view name, std::string_view help,
                            std::string ServeConfig::*field, bool https_only) {
  ServeOption option = Option(name, "URL", Type::kString, help);
  option.set = [field, https_only](std::string_view text, ServeConfig& c) -> absl::Status {
    if (text.empty()) {
      (c.*field).clear();
      return absl::OkStatus();
    }
    VETRINA_ASSIGN_OR_RETURN(c.*field, https_only ? ParsePublicUrl(text, {"https"})
                                                  : ParsePublicUrl(text, {"http", "https"}));
    return absl::OkStatus();
  };
  option.get = [field](const ServeConfig& c) { return c.*field; };
  return option;
}

std::vector<ServeOption> MakeServeOptions() {
  std::vector<ServeOption> options;
  options.push_back(ListenOption("listen", "the public listener: bid requests, notices, /privacy",
                                 &ServeConfig::listen));
  options.push_back(ListenOption("admin-listen",
                                 "the admin listener: the admin API and health (keep it private)",
                                 &ServeConfig::admin_listen));
  options.push_back(IntOption("threads", "N", "worker threads of the public listener",
                              &ServeConfig::threads, 1, 128));
  options.push_back(StringOption("data-dir", "DIR",
                                 "where journals, snapshots, the admin token and keys are kept",
                                 &ServeConfig::data_dir, /*non_empty=*/true));
  options.push_back(
      StringOption("campaigns", "DIR",
                   "a directory of campaign files (every .json file) that seed a fresh data dir",
                   &ServeConfig::campaigns_dir));
  options.push_back(PublicUrlOption(
      "public-url",
      "the http(s) base of notice URLs and /privacy as exchanges and devices reach this server; "
      "without it, http:// and the listen address, which must then not be a wildcard",
      &ServeConfig::public_url, /*https_only=*/false));
  options.push_back(PublicUrlOption(
      "public-url-https",
      "the https base for secure imps; without it, --public-url when that is https, else secure "
      "imps get no bid",
      &ServeConfig::public_url_https, /*https_only=*/true));
  ServeOption demo = Option("print-demo-curl", "", Type::kBoolean,
                            "print a curl command that sends a demo bid request once ready");
  demo.set = [](std::string_view text, ServeConfig& c) {
    c.print_demo_curl = text == "true";
    return absl::OkStatus();
  };
  demo.get = [](const ServeConfig& c) { return std::string(c.print_demo_curl ? "true" : "false"); };
  options.push_back(std::move(demo));
  options.push_back(
      IntOption("reservation-timeout", "SECONDS",
                "how long a bid's reservation holds its budget (and its notice token stays valid)",
                &ServeConfig::reservation_timeout_s, 1, 86'400));
  options.push_back(IntOption("late-notice-allowance", "SECONDS",
                              "fleet: how much later than the notice window a notice still "
                              "charges (docs/money.md)",
                              &ServeConfig::late_notice_allowance_s, 0, 3'600));
  options.push_back(IntOption("lease-term", "SECONDS",
                              "fleet: how long one budget lease renewal lets the node bid",
                              &ServeConfig::lease_term_s, 1, 3'600));
  options.push_back(IntOption("tcf-vendor-id", "ID",
                              "our IAB TCF vendor id, against which GDPR consent is checked; 0 "
                              "is none registered",
                              &ServeConfig::tcf_vendor_id, 0, 65'535));
  ServeOption skadnetwork_id = Option(
      "skadnetwork-id", "ID", Type::kString,
      "our SKAdNetwork id as registered with Apple; iOS bids for campaigns with an App Store id "
      "then carry bid.ext.skadn, signed with DATA_DIR/skadnetwork.pem; empty is none");
  skadnetwork_id.pattern = "^([A-Za-z0-9]+\\.skadnetwork)?$";
  skadnetwork_id.set = [](std::string_view text, ServeConfig& c) -> absl::Status {
    if (!IsValidSkadnetworkId(text)) {
      return absl::InvalidArgumentError(
          StrCat("\"", text, "\" is not a SKAdNetwork id: letters and digits, then .skadnetwork"));
    }
    c.skadnetwork_id = std::string(text);
    return absl::OkStatus();
  };
  skadnetwork_id.get = [](const ServeConfig& c) { return c.skadnetwork_id; };
  options.push_back(std::move(skadnetwork_id));
  options.push_back(IntOption("default-tmax-ms", "MS", "the deadline of a request without tmax",
                              &ServeConfig::default_tmax_ms, 1, 60'000));
  options.push_back(IntOption(
      "max-connections", "N",
      "open connections on the public listener, more get 503; capped by the descriptor limit",
      &ServeConfig::max_connections, 1, 1'000'000));
  options.push_back(IntOption("max-imps-per-request", "N", "imps of one bid request considered",
                              &ServeConfig::max_imps_per_request, 1, 1'000));
  options.push_back(IntOption("max-bids-per-response", "N", "bids in one response",
                              &ServeConfig::max_bids_per_response, 1, 1'000));
  options.push_back(IntOption("max-bids-per-campaign", "N", "bids of one campaign in one response",
                              &ServeConfig::max_bids_per_campaign, 1, 1'000));
  options.push_back(IntOption("max-request-reservation-ppm", "PPM",
                              "the share of a campaign's budget one request may reserve, in "
                              "millionths",
                              &ServeConfig::max_request_reservation_ppm, 1, 1'000'000));
  ServeOption redis =
      Option("redis", "URL[,URL...]", Type::kString,
             "fleet: the Redis server, or a Cluster's seeds, as redis://HOST:PORT[/DB]; needs "
             "--node-id; without it, a single node with local journals");
  redis.non_empty = true;
  redis.set = [](std::string_view text, ServeConfig& c) -> absl::Status {
    VETRINA_ASSIGN_OR_RETURN(c.redis, ParseRedisSeeds(text));
    return absl::OkStatus();
  };
  redis.get = [](const ServeConfig& c) {
    std::string urls;
    for (const redis::RedisEndpoint& e : c.redis)
      StrAppend(&urls, urls.empty() ? "" : ",", e.ToUrl());
    return urls;
  };
  options.push_back(std::move(redis));
  ServeOption node_id = Option("node-id", "ID", Type::kString,
                               "fleet: this node's name, unique in the fleet; needs --redis");
  node_id.non_empty = true;
  node_id.pattern = "^[A-Za-z0-9._-]{1,64}$";
  node_id.set = [](std::string_view text, ServeConfig& c) -> absl::Status {
    if (!IsValidNodeId(text)) {
      return absl::InvalidArgumentError(
          StrCat("\"", text, "\" is not a node id: 1 to 64 characters of A-Z a-z 0-9 . _ -"));
    }
    c.node_id = std::string(text);
    return absl::OkStatus();
  };
  node_id.get = [](const ServeConfig& c) { return c.node_id; };
  options.push_back(std::move(node_id));
  ServeOption log_level = StringOption("log-level", "LEVEL", "the least severe log message written",
                                       &ServeConfig::log_level);
  log_level.choices = {"debug", "info", "warn", "error"};
  options.push_back(std::move(log_level));
  ServeOption sample = Option("access-log-sample", "FRACTION", Type::kNumber,
                              "the fraction of requests written to the access log");
  sample.min = 0;
  sample.max = 1;
  sample.set = [](std::string_view text, ServeConfig& c) {
    std::from_chars(text.data(), text.data() + text.size(), c.access_log_sample);
    return absl::OkStatus();
  };
  sample.get = [](const ServeConfig& c) { return FormatNumber(c.access_log_sample); };
  options.push_back(std::move(sample));
  return options;
}

// What an option's value may be, for help and docs: "an integer in [1, 128]".
std::string Allowed(const ServeOption& option) {
  switch (option.type) {
    case Type::kInteger:
      return StrCat("an integer in [", static_cast<int64_t>(option.min), ", ",
                    static_cast<int64_t>(option.max), "]");
    case Type::kNumber:
      return StrCat("a number in [", FormatNumber(option.min), ", ", FormatNumber(option.max), "]");
    case Type::kBoolean:
      return "true or false";
    case Type::kString:
      break;
  }
  if (!option.choices.empty()) {
    std::string text = "one of ";
    for (size_t i = 0; i < option.choices.size(); ++i) {
      StrAppend(&text, i == 0 ? "" : ", ", option.choices[i]);
    }
    return text;
  }
  return "";
}

// Checks `text` against the option's type and applies it; errors name no source.
absl::Status Apply(const ServeOption& option, std::string_view text, ServeConfig& config) {
  switch (option.type) {
    case Type::kInteger: {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size() || n < option.min ||
          n > option.max) {
        return absl::InvalidArgumentError(
            StrCat("must be ", Allowed(option), ", got \"", text, "\""));
      }
      break;
    }
    case Type::kNumber: {
      double x = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (ec != std::errc() || end != text.data() + text.size() || !(x >= option.min) ||
          !(x <= option.max)) {
        return absl::InvalidArgumentError(
            StrCat("must be ", Allowed(option), ", got \"", text, "\""));
      }
      break;
    }
    case Type::kBoolean:
      if (text != "true" && text != "false") {
        return absl::InvalidArgumentError(StrCat("must be true or false, got \"", text, "\""));
      }
      break;
    case Type::kString:
      if (option.non_empty && text.empty()) return absl::InvalidArgumentError("must not be empty");
      if (!option.choices.empty() &&
          std::find(option.choices.begin(), option.choices.end(), text) == option.choices.end()) {
        return absl::InvalidArgumentError(
            StrCat("must be ", Allowed(option), ", got \"", text, "\""));
      }
      break;
  }
  return option.set(text, config);
}

const ServeOption* FindOption(std::string_view name) {
  for (const ServeOption& option : ServeOptions()) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

// " (did you mean X?)" for the closest of `candidates`, or "".
std::string Hint(std::string_view word, const std::vector<std::string>& candidates,
                 std::string_view quote = "") {
  std::vector<std::string_view> views(candidates.begin(), candidates.end());
  std::optional<std::string_view> hint = DidYouMean(word, views);
  return hint ? StrCat("; did you mean ", quote, *hint, quote, "?") : std::string();
}

// A value of an option and where it came from ("--threads", "VETRINA_THREADS",
// "vetrina.json: \"threads\""), for messages.
struct SourcedValue {
  std::string text;
  std::string source;
};
using Values = std::map<std::string_view, SourcedValue>;

// Reads the flags: option values into `values`, --config into `config_path`.
absl::Status ReadFlags(const std::vector<std::string>& args, Values* values,
                       std::optional<std::string>* config_path) {
  std::vector<std::string> flags = {std::string(kConfigFlag), "--help"};
  for (const ServeOption& option : ServeOptions()) flags.push_back(option.Flag());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(
          StrCat("unexpected argument \"", arg, "\" (options start with --)"));
    }
    const size_t eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    std::optional<std::string> inline_value;
    if (eq != std::string::npos) inline_value = arg.substr(eq + 1);
    const ServeOption* option = FindOption(std::string_view(flag).substr(2));
    if (option == nullptr && flag != kConfigFlag) {
      return absl::InvalidArgumentError(StrCat("unknown option ", flag, Hint(flag, flags)));
    }
    const std::string_view placeholder = option == nullptr ? "FILE" : option->value;
    std::string value;
    if (option != nullptr && option->type == Type::kBoolean) {
      value = inline_value.value_or("true");
    } else if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(StrCat(flag, " needs a value (", placeholder, ")"));
    }
    if (option == nullptr) {
      *config_path = value;
    } else {
      (*values)[option->name] = {value, flag};
    }
  }
  return absl::OkStatus();
}

// A config file's value as text, checked against the option's JSON type.
absl::StatusOr<std::string> FileValue(const ServeOption& option, simdjson::dom::element value) {
  switch (option.type) {
    case Type::kString: {
      std::string_view s;
      if (value.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
      return absl::InvalidArgumentError("must be a string");
    }
    case Type::kBoolean: {
      bool b = false;
      if (value.get_bool().get(b) == simdjson::SUCCESS) return std::string(b ? "true" : "false");
      return absl::InvalidArgumentError("must be a boolean (true or false)");
    }
    case Type::kInteger: {
      // JSON Schema's "integer" includes numbers like 3.0.
      int64_t n = 0;
      double d = 0;
      if (value.get_int64().get(n) == simdjson::SUCCESS) return StrCat(n);
      if (value.get_double().get(d) == simdjson::SUCCESS && d >= -9.2e18 && d <= 9.2e18 &&
          d == static_cast<double>(static_cast<int64_t>(d))) {
        return StrCat(static_cast<int64_t>(d));
      }
      return absl::InvalidArgumentError("must be an integer");
    }
    case Type::kNumber: {
      double d = 0;
      if (value.get_double().get(d) == simdjson::SUCCESS) return FormatNumber(d);
      return absl::InvalidArgumentError("must be a number");
    }
  }
  return absl::InternalError("unknown option type");
}

// Reads a config file's text: a JSON object whose keys are option names.
absl::Status ReadConfigFile(const std::string& path, std::string_view text, Values* values) {
  if (std::optional<JsonSyntaxError> syntax = FindJsonSyntaxError(text)) {
    return absl::InvalidArgumentError(StrCat(path, ": invalid JSON at ", syntax->ToString()));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (auto e = parser.parse(text.data(), text.size()).get(root)) {
    return absl::InvalidArgumentError(
        StrCat(path, ": invalid JSON (", simdjson::error_message(e), ")"));
  }
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        StrCat(path, ": must be a JSON object of option names and values"));
  }
  std::vector<std::string> names;
  for (const ServeOption& option : ServeOptions()) names.emplace_back(option.name);
  for (auto [key, value] : object) {
    const ServeOption* option = FindOption(key);
    if (option == nullptr) {
      return absl::InvalidArgumentError(
          StrCat(path, ": unknown key \"", key, "\"", Hint(key, names, "\"")));
    }
    const std::string source = StrCat(path, ": \"", key, "\"");
    absl::StatusOr<std::string> text_value = FileValue(*option, value);
    if (!text_value.ok()) {
      return absl::InvalidArgumentError(StrCat(source, " ", View(text_value.status().message())));
    }
    (*values)[option->name] = {*std::move(text_value), source};
  }
  return absl::OkStatus();
}

}  // namespace

std::string ServeOption::Flag() const { return StrCat("--", name); }

std::string ServeOption::Env() const {
  std::string env = StrCat("VETRINA_", name);
  for (char& c : env) c = c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return env;
}

const std::vector<ServeOption>& ServeOptions() {
  static const std::vector<ServeOption>* const options =
      new std::vector<ServeOption>(MakeServeOptions());
  return *options;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot read the file"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<ServeConfig> ParseServeConfig(const std::vector<std::string>& args,
                                             const Environment& env, const ReadFileFn& read_file) {
  // Each source's values; an option takes the first it finds among the flags, the environment
  // and the file, in that order.
  Values file_values, env_values, flag_values;
  std::optional<std::string> config_path;
  VETRINA_RETURN_IF_ERROR(ReadFlags(args, &flag_values, &config_path));
  auto variable = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  if (!config_path) config_path = variable(kConfigEnv);
  if (config_path) {
    VETRINA_ASSIGN_OR_RETURN(std::string text, read_file(*config_path));
    VETRINA_RETURN_IF_ERROR(ReadConfigFile(*config_path, text, &file_values));
  }
  for (const ServeOption& option : ServeOptions()) {
    const std::string name = option.Env();
    if (std::optional<std::string> value = variable(name)) {
      // A switch's variable reads as a flag would: 1 and yes are true too.
      if (option.type == Type::kBoolean) {
        if (*value == "1" || *value == "yes") *value = "true";
        if (*value == "0" || *value == "no") *value = "false";
      }
      env_values[option.name] = {*value, name};
    }
  }
  ServeConfig config;
  // Where each option's value came from; an option left at its default is named by its flag.
  std::map<std::string_view, std::string> source;
  for (const ServeOption& option : ServeOptions()) {
    const SourcedValue* value = nullptr;
    for (const Values* layer : {&flag_values, &env_values, &file_values}) {
      if (auto it = layer->find(option.name); it != layer->end()) {
        value = &it->second;
        break;
      }
    }
    source[option.name] = value == nullptr ? option.Flag() : value->source;
    if (value == nullptr) continue;
    if (absl::Status s = Apply(option, value->text, config); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(value->source, ": ", View(s.message())));
    }
  }
  // Fleet mode: --redis and --node-id come together.
  if (!config.redis.empty() && config.node_id.empty()) {
    return absl::InvalidArgumentError(
        StrCat(source["redis"],
               " joins a fleet, where every node needs a name: pass --node-id ID (or set "
               "VETRINA_NODE_ID), unique in the fleet, 1 to 64 characters of A-Z a-z 0-9 . _ -"));
  }
  if (config.redis.empty() && !config.node_id.empty()) {
    return absl::InvalidArgumentError(
        StrCat(source["node-id"],
               " names a node of a fleet, and there is none without --redis URL (or "
               "VETRINA_REDIS): drop it to run a single node, or add the fleet's Redis"));
  }
  // Notice URLs built from a wildcard listen address would send every tracker to 0.0.0.0.
  if (config.public_url.empty() && IsWildcardHost(config.listen.host)) {
    return absl::InvalidArgumentError(
        StrCat(source["listen"], " ", config.listen.host,
               " is a wildcard address, so notice URLs cannot be derived from it: pass "
               "--public-url (or set VETRINA_PUBLIC_URL) with the http(s) URL exchanges and "
               "devices reach this server at"));
  }
  return config;
}

absl::StatusOr<ServeConfig> ParseServeArgs(const std::vector<std::string>& args,
                                           const ServeEnvironment& env) {
  return ParseServeConfig(args,
                          {{"VETRINA_PUBLIC_URL", env.public_url},
                           {"VETRINA_PUBLIC_URL_HTTPS", env.public_url_https},
                           {"VETRINA_REDIS", env.redis},
                           {"VETRINA_NODE_ID", env.node_id}},
                          ReadTextFile);
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") return true;
    // Skip a flag's separate value, so `--data-dir --help`... still counts as a flag.
    const ServeOption* option =
        args[i].rfind("--", 0) == 0 ? FindOption(std::string_view(args[i]).substr(2)) : nullptr;
    const bool takes_value =
        args[i] == kConfigFlag || (option != nullptr && option->type != Type::kBoolean);
    if (takes_value && i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) ++i;
  }
  return false;
}

std::string ServeHelp() {
  const ServeConfig defaults;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back(StrCat(kConfigFlag, " FILE"),
                    StrCat("a JSON file of option names and values, checked against "
                           "schemas/config.schema.json (env ",
                           kConfigEnv, ")"));
  for (const ServeOption& option : ServeOptions()) {
    std::string left = option.Flag();
    if (!option.value.empty()) StrAppend(&left, " ", option.value);
    std::string right(option.help);
    StrAppend(&right, " (");
    if (const std::string allowed = Allowed(option);
        !allowed.empty() && option.type != Type::kBoolean) {
      StrAppend(&right, allowed, "; ");
    }
    const std::string default_value = option.get(defaults);
    StrAppend(&right, "default ", default_value.empty() ? "none" : default_value, "; env ",
              option.Env(), ")");
    rows.emplace_back(std::move(left), std::move(right));
  }
  size_t width = 0;
  for (const auto& [left, right] : rows) width = std::max(width, left.size());
  std::string help =
      "usage: vetrina serve [OPTION...]\n"
      "\n"
      "Serves bid requests on --listen and the admin API on --admin-listen.\n"
      "Each option is a flag, an environment variable (VETRINA_ and the name in capitals, - as _)\n"
      "or a key of the --config file (the name without --). A flag wins over its variable, a\n"
      "variable over the file, the file over the default; an empty variable counts as unset.\n"
      "A switch's variable takes true, false, 1, 0, yes or no. docs/configuration.md has more.\n"
      "\n"
      "options:\n";
  for (const auto& [left, right] : rows) {
    StrAppend(&help, "  ", left, std::string(width + 2 - left.size(), ' '), right, "\n");
  }
  StrAppend(&help, "  --help", std::string(width - 4, ' '), "this help\n");
  return help;
}

std::string ServeOptionsMarkdown() {
  const ServeConfig defaults;
  std::string out =
      "| option | environment variable | config file key | value | default | what it does |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  auto code = [](std::string_view text) {
    return text.empty() ? std::string("none") : StrCat("`", text, "`");
  };
  for (const ServeOption& option : ServeOptions()) {
    std::string value = option.type == Type::kBoolean ? "true or false" : std::string(option.value);
    if (const std::string allowed = Allowed(option);
        !allowed.empty() && option.type != Type::kBoolean) {
      StrAppend(&value, ", ", allowed);
    }
    StrAppend(&out, "| `", option.Flag(), option.value.empty() ? "" : " ", option.value, "` | `",
              option.Env(), "` | `\"", option.name, "\"` | ", value, " | ",
              code(option.get(defaults)), " | ", option.help, " |\n");
  }
  return out;
}

std::string ConfigSchemaJson() {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("$schema");
  w.String("https://json-schema.org/draft/2020-12/schema");
  w.Key("$id");
  w.String("https://vetrina.example/schemas/config.schema.json");
  w.Key("title");
  w.String("vetrina serve configuration file");
  w.Key("description");
  w.String(
      "The options of `vetrina serve`, by name (docs/configuration.md). A flag or environment "
      "variable wins over the file; generated by `vetrina help config-schema`.");
  w.Key("type");
  w.String("object");
  w.Key("additionalProperties");
  w.Bool(false);
  w.Key("properties");
  w.BeginObject();
  for (const ServeOption& option : ServeOptions()) {
    w.Key(option.name);
    w.BeginObject();
    w.Key("description");
    w.String(option.help);
    w.Key("type");
    switch (option.type) {
      case Type::kString:
        w.String("string");
        if (option.non_empty) {
          w.Key("minLength");
          w.Int(1);
        }
        if (!option.choices.empty()) {
          w.Key("enum");
          w.BeginArray();
          for (std::string_view choice : option.choices) w.String(choice);
          w.EndArray();
        }
        if (!option.pattern.empty()) {
          w.Key("pattern");
          w.String(option.pattern);
        }
        break;
      case Type::kInteger:
      case Type::kNumber:
        w.String(option.type == Type::kInteger ? "integer" : "number");
        for (auto [key, bound] : {std::pair{"minimum", option.min}, {"maximum", option.max}}) {
          w.Key(key);
          if (bound == static_cast<double>(static_cast<int64_t>(bound))) {
            w.Int(static_cast<int64_t>(bound));
          } else {
            w.Double(bound);
          }
        }
        break;
      case Type::kBoolean:
        w.String("boolean");
        break;
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return out;
}
}  // namespace vetrina::app
