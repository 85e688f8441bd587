#include "adapters/redis/redis_url.h"

#include <arpa/inet.h>

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "base/strings.h"

namespace vetrina::redis {
namespace {

constexpr std::string_view kScheme = "redis://";

absl::Status Bad(std::string_view url, std::string_view problem) {
  return absl::InvalidArgumentError(
      StrCat("redis URL \"", url, "\": ", problem, " (expected redis://HOST:PORT[/DB])"));
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Digits only (no sign, no spaces), at most `max`.
bool ParseBounded(std::string_view s, int max, int* out) {
  if (!IsDigits(s) || s.size() > 9) return false;
  int value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  if (value > max) return false;
  *out = value;
  return true;
}

// RFC 1123 host names: letters, digits, '-' and '.', at most 253 characters; labels do not start
// or end with '-' and are not empty. Dotted IPv4 addresses pass the same rule.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label_start = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
      }
      label_start = i + 1;
      continue;
    }
    char c = host[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

bool IsIpv6(std::string_view text) {
  std::string copy(text);
  in6_addr addr;
  return ::inet_pton(AF_INET6, copy.c_str(), &addr) == 1;
}

}  // namespace

std::string RedisEndpoint::ToUrl() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return StrCat("redis://", ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port, "/", db);
}

absl::StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  if (url.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(url.data(), kScheme.size()),
                              absl::string_view(kScheme.data(), kScheme.size()))) {
    if (url.size() >= 9 && absl::EqualsIgnoreCase(absl::string_view(url.data(), 9), "rediss://")) {
      return Bad(url, "TLS (rediss://) is not supported");
    }
    return Bad(url, "the scheme must be redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Bad(url, "spaces and control characters are not allowed");
    }
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad(url, "a query or fragment is not supported");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (authority.find('@') != std::string_view::npos) {
    return Bad(url, "credentials (user:password@) are not supported");
  }

  RedisEndpoint endpoint;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(url, "'[' without a closing ']'");
    std::string_view host = authority.substr(1, close - 1);
    if (!IsIpv6(host)) return Bad(url, "the bracketed host is not an IPv6 address");
    endpoint.host = std::string(host);
    std::string_view after = authority.substr(close + 1);
    if (after.empty()) return Bad(url, "the port is missing");
    if (after.front() != ':') return Bad(url, "expected ':' and a port after ']'");
    port_text = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) return Bad(url, "the port is missing");
    std::string_view host = authority.substr(0, colon);
    if (host.empty()) return Bad(url, "the host is missing");
    if (host.find(':') != std::string_view::npos) {
      return Bad(url, "an IPv6 host must be in brackets, as in redis://[::1]:6379");
    }
    if (!IsHostName(host)) return Bad(url, "the host is not a valid host name or IPv4 address");
    endpoint.host = std::string(host);
    port_text = authority.substr(colon + 1);
  }
  int port = 0;
  if (!ParseBounded(port_text, 65535, &port) || port == 0) {
    return Bad(url, "the port must be a number from 1 to 65535");
  }
  endpoint.port = static_cast<uint16_t>(port);

  if (!path.empty()) {
    if (!ParseBounded(path, kMaxRedisDb, &endpoint.db)) {
      return Bad(url, StrCat("the database must be a number from 0 to ", kMaxRedisDb));
    }
  }
  return endpoint;
}

}  // namespace vetrina::redis
