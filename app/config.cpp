#include "app/config.h"

#include <charconv>

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

absl::StatusOr<ServeConfig> ParseServeArgs(const std::vector<std::string>& args) {
  ServeConfig config;
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
    } else if (flag == "--data-dir") {
      config.data_dir = *v;
    } else if (flag == "--campaigns") {
      config.campaigns_dir = *v;
    } else if (flag == "--public-url") {
      config.public_url = *v;
    } else {
      return absl::InvalidArgumentError(StrCat("unknown flag ", flag));
    }
  }
  if (config.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  return config;
}

}  // namespace vetrina::app
