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

}  // namespace
}  // namespace vetrina::app
