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

}  // namespace
}  // namespace vetrina::app
