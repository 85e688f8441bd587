#include "app/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "absl/strings/ascii.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::app {
namespace {

// An integer flag's value in [min, max].
absl::Status ParseIntFlag(const std::string& flag, const std::string& text, int min, int max,
                          int* out) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    return absl::InvalidArgumentError(
        StrCat(flag, " must be an integer in [", min, ", ", max, "]"));
  }
  *out = n;
  return absl::OkStatus();
}

}  // namespace

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

absl::StatusOr<ServeConfig> ParseServeArgs(const std::vector<std::string>& args,
                                           const ServeEnvironment& env) {
  ServeConfig config;
  std::string redis_flag;
  bool node_id_flagged = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(StrCat(flag, " needs a value"));
      return args[++i];
    };
    if (flag == "--print-demo-curl") {
      config.print_demo_curl = true;
      continue;
    }
    absl::StatusOr<std::string> v = value();
    if (!v.ok()) return v.status();
    if (flag == "--listen" || flag == "--admin-listen") {
      absl::StatusOr<HostPort> hp = ParseHostPort(*v);
      if (!hp.ok())
        return absl::InvalidArgumentError(StrCat(flag, ": ", View(hp.status().message())));
      (flag == "--listen" ? config.listen : config.admin_listen) = *hp;
    } else if (flag == "--threads") {
      int n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 128) {
        return absl::InvalidArgumentError("--threads must be an integer in [1, 128]");
      }
      config.threads = n;
    } else if (flag == "--reservation-timeout") {
      int n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 86'400) {
        return absl::InvalidArgumentError(
            "--reservation-timeout must be a number of seconds in [1, 86400]");
      }
      config.reservation_timeout_s = n;
    } else if (flag == "--lease-term") {
      VETRINA_RETURN_IF_ERROR(ParseIntFlag(flag, *v, 1, 3'600, &config.lease_term_s));
    } else if (flag == "--late-notice-allowance") {
      VETRINA_RETURN_IF_ERROR(ParseIntFlag(flag, *v, 0, 3'600, &config.late_notice_allowance_s));
    } else if (flag == "--default-tmax-ms") {
      int n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 60'000) {
        return absl::InvalidArgumentError("--default-tmax-ms must be an integer in [1, 60000]");
      }
      config.default_tmax_ms = n;
    } else if (flag == "--max-connections") {
      int n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 1'000'000) {
        return absl::InvalidArgumentError("--max-connections must be an integer in [1, 1000000]");
      }
      config.max_connections = n;
    } else if (flag == "--tcf-vendor-id") {
      int n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size() || n < 0 || n > 65535) {
        return absl::InvalidArgumentError("--tcf-vendor-id must be an integer in [0, 65535]");
      }
      config.tcf_vendor_id = n;
    } else if (flag == "--max-imps-per-request") {
      VETRINA_RETURN_IF_ERROR(ParseIntFlag(flag, *v, 1, 1'000, &config.max_imps_per_request));
    } else if (flag == "--max-bids-per-response") {
      VETRINA_RETURN_IF_ERROR(ParseIntFlag(flag, *v, 1, 1'000, &config.max_bids_per_response));
    } else if (flag == "--max-bids-per-campaign") {
      VETRINA_RETURN_IF_ERROR(ParseIntFlag(flag, *v, 1, 1'000, &config.max_bids_per_campaign));
    } else if (flag == "--max-request-reservation-ppm") {
      VETRINA_RETURN_IF_ERROR(
          ParseIntFlag(flag, *v, 1, 1'000'000, &config.max_request_reservation_ppm));
    } else if (flag == "--log-level") {
      if (!ParseLogLevel(*v).has_value()) {
        return absl::InvalidArgumentError("--log-level must be debug, info, warn or error");
      }
      config.log_level = *v;
    } else if (flag == "--access-log-sample") {
      double fraction = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), fraction);
      if (ec != std::errc() || end != v->data() + v->size() || !(fraction >= 0 && fraction <= 1)) {
        return absl::InvalidArgumentError("--access-log-sample must be a fraction in [0, 1]");
      }
      config.access_log_sample = fraction;
    } else if (flag == "--data-dir") {
      config.data_dir = *v;
    } else if (flag == "--campaigns") {
      config.campaigns_dir = *v;
    } else if (flag == "--public-url") {
      config.public_url = *v;
    } else if (flag == "--public-url-https") {
      config.public_url_https = *v;
    } else if (flag == "--redis") {
      if (v->empty()) return absl::InvalidArgumentError("--redis must not be empty");
      redis_flag = *v;
    } else if (flag == "--node-id") {
      config.node_id = *v;
      node_id_flagged = true;
    } else {
      return absl::InvalidArgumentError(StrCat("unknown flag ", flag));
    }
  }
  if (config.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  for (auto [flag, variable, value, from_env, https_only] :
       {std::tuple{"--public-url", "VETRINA_PUBLIC_URL", &config.public_url, &env.public_url,
                   false},
        std::tuple{"--public-url-https", "VETRINA_PUBLIC_URL_HTTPS", &config.public_url_https,
                   &env.public_url_https, true}}) {
    const bool flagged = !value->empty();
    if (!flagged) *value = *from_env;
    if (value->empty()) continue;
    absl::StatusOr<std::string> url =
        https_only ? ParsePublicUrl(*value, {"https"}) : ParsePublicUrl(*value, {"http", "https"});
    if (!url.ok()) {
      return absl::InvalidArgumentError(
          StrCat(flagged ? flag : variable, ": ", View(url.status().message())));
    }
    *value = *std::move(url);
  }
  // Fleet mode: --redis and --node-id come together, each flag winning over its variable.
  const std::string_view redis_source = redis_flag.empty() ? "VETRINA_REDIS" : "--redis";
  const std::string& redis_text = redis_flag.empty() ? env.redis : redis_flag;
  if (!redis_text.empty()) {
    absl::StatusOr<std::vector<redis::RedisEndpoint>> seeds = ParseRedisSeeds(redis_text);
    if (!seeds.ok()) {
      return absl::InvalidArgumentError(StrCat(redis_source, ": ", View(seeds.status().message())));
    }
    config.redis = *std::move(seeds);
  }
  if (!node_id_flagged) config.node_id = env.node_id;
  const std::string_view node_id_source = node_id_flagged ? "--node-id" : "VETRINA_NODE_ID";
  if (!config.node_id.empty() && !IsValidNodeId(config.node_id)) {
    return absl::InvalidArgumentError(
        StrCat(node_id_source, " \"", config.node_id,
               "\" is not a node id: 1 to 64 characters of A-Z a-z 0-9 . _ -"));
  }
  if (node_id_flagged && config.node_id.empty()) {
    return absl::InvalidArgumentError("--node-id must not be empty");
  }
  if (!config.redis.empty() && config.node_id.empty()) {
    return absl::InvalidArgumentError(
        StrCat(redis_source,
               " joins a fleet, where every node needs a name: pass --node-id ID (or set "
               "VETRINA_NODE_ID), unique in the fleet, 1 to 64 characters of A-Z a-z 0-9 . _ -"));
  }
  if (config.redis.empty() && !config.node_id.empty()) {
    return absl::InvalidArgumentError(
        StrCat(node_id_source,
               " names a node of a fleet, and there is none without --redis URL (or "
               "VETRINA_REDIS): drop it to run a single node, or add the fleet's Redis"));
  }
  // Notice URLs built from a wildcard listen address would send every tracker to 0.0.0.0.
  if (config.public_url.empty() && IsWildcardHost(config.listen.host)) {
    return absl::InvalidArgumentError(
        StrCat("--listen ", config.listen.host,
               " is a wildcard address, so notice URLs cannot be derived from it: pass "
               "--public-url (or set VETRINA_PUBLIC_URL) with the http(s) URL exchanges and "
               "devices reach this server at"));
  }
  return config;
}

}  // namespace vetrina::app
