// `vetrina serve` configuration: one typed struct, parsed from the command line and validated
// before anything starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

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
  std::string public_url;     // base of notice URLs; default http://<bound listen address>
  bool print_demo_curl = false;
  // How long a bid's reservation holds its budget (and its notice token stays valid).
  int reservation_timeout_s = 60;
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
};

// Parses "HOST:PORT" ("[::1]:8080" for IPv6).
absl::StatusOr<HostPort> ParseHostPort(const std::string& text);

// Parses the arguments after `serve`.
absl::StatusOr<ServeConfig> ParseServeArgs(const std::vector<std::string>& args);

}  // namespace vetrina::app
