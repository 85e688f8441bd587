#include "perf/loadgen/traffic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vetrina::loadgen {
namespace {

constexpr const char* kCountries[] = {"USA", "IND", "BRA", "IDN", "MEX",
                                      "JPN", "DEU", "GBR", "FRA", "TUR"};
// Cumulative weights: the first countries carry most of the traffic.
constexpr double kCountryWeights[] = {0.30, 0.45, 0.57, 0.67, 0.75, 0.82, 0.88, 0.93, 0.97, 1.0};

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const char* Pick(const char* const* items, const double* cumulative, size_t n, double u) {
  for (size_t i = 0; i < n; ++i) {
    if (u < cumulative[i]) return items[i];
  }
  return items[n - 1];
}

// The imp of each kind: banner, interstitial, rewarded video, native.
std::string Imp(int kind) {
  switch (kind) {
    case 0:
      return R"({"id":"1","tagid":"feed","bidfloor":0.05,"banner":{"w":320,"h":50,"format":[{"w":320,"h":50},{"w":300,"h":250}]}})";
    case 1:
      return R"({"id":"1","tagid":"interstitial","instl":1,"bidfloor":0.3,"banner":{"w":320,"h":480}})";
    case 2:
      return R"({"id":"1","tagid":"rewarded","rwdd":1,"bidfloor":1.0,"video":{"mimes":["video/mp4"],"w":720,"h":1280,"minduration":5,"maxduration":30}})";
    default:
      return R"({"id":"1","tagid":"native-feed","bidfloor":0.2,"native":{"ver":"1.2","request":"{\"ver\":\"1.2\",\"assets\":[{\"id\":1,\"required\":1,\"title\":{\"len\":90}},{\"id\":2,\"required\":1,\"img\":{\"type\":3,\"w\":1200,\"h\":627}},{\"id\":3,\"data\":{\"type\":1}}]}"}})";
  }
}

std::string Regs(int which) {
  switch (which) {
    case 0:
      return R"(,"regs":{"us_privacy":"1YYN"})";
    case 1:
      return R"(,"regs":{"gdpr":1},"user":{"consent":"not-a-consent-string"})";
    default:
      return "";
  }
}

}  // namespace

std::string UserId(uint64_t index) {
  const uint64_t a = Mix(index * 2 + 1), b = Mix(index * 2 + 2);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08X-%04X-4%03X-8%03X-%012llX", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>((b >> 48) & 0xfff),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

ZipfSampler::ZipfSampler(uint64_t n, double s) {
  cdf_.resize(std::max<uint64_t>(n, 1));
  double total = 0;
  for (uint64_t i = 0; i < cdf_.size(); ++i) {
    total += 1.0 / std::pow(static_cast<double>(i + 1), s);
    cdf_[i] = total;
  }
  for (double& c : cdf_) c /= total;
}

uint64_t ZipfSampler::Sample(std::mt19937_64& rng) const {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return static_cast<uint64_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
}

TrafficModel::TrafficModel(TrafficOptions options)
    : options_(std::move(options)), users_(options_.users, options_.zipf_s) {}

std::string TrafficModel::NextRequest(std::mt19937_64& rng, uint64_t sequence) const {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::string id = "lg-" + std::to_string(sequence);
  if (!options_.fixture_bodies.empty() && u(rng) < options_.fixture_share) {
    std::string body = options_.fixture_bodies[rng() % options_.fixture_bodies.size()];
    // Fixtures keep their content; only their "id" changes, so responses are told apart.
    const size_t at = body.find("\"id\"");
    if (at != std::string::npos) {
      const size_t open = body.find('"', body.find(':', at) + 1);
      const size_t close = body.find('"', open + 1);
      if (open != std::string::npos && close != std::string::npos) {
        body.replace(open + 1, close - open - 1, id);
      }
    }
    return body;
  }
  const double kind_roll = u(rng);
  const int kind = kind_roll < 0.5 ? 0 : kind_roll < 0.7 ? 1 : kind_roll < 0.85 ? 2 : 3;
  const bool ios = u(rng) < 0.35;
  const char* country = Pick(kCountries, kCountryWeights, 10, u(rng));
  const uint64_t app = std::min<uint64_t>(static_cast<uint64_t>(std::pow(u(rng), 3) * 5000), 4999);
  const uint64_t user = users_.Sample(rng);
  const double privacy_roll = u(rng);
  const int regs = privacy_roll < options_.restricted_share / 2     ? 0
                   : privacy_roll < options_.restricted_share * 0.8 ? 1
                                                                    : -1;
  const bool lmt =
      privacy_roll >= options_.restricted_share * 0.8 && privacy_roll < options_.restricted_share;
  std::string body;
  body.reserve(900);
  body += R"({"id":")" + id + R"(","at":2,"tmax":)" + std::to_string(options_.tmax_ms) +
          R"(,"cur":["USD"],"imp":[)" + Imp(kind) + "],";
  body += R"("app":{"id":"app)" + std::to_string(app) + R"(","bundle":"com.app)" +
          std::to_string(app) + R"(","cat":["IAB9"],"publisher":{"id":"pub)" +
          std::to_string(app % 97) + R"("}},)";
  body += R"("device":{"os":")" + std::string(ios ? "iOS" : "Android") + R"(","osv":")" +
          (ios ? "17.2" : "14") + R"(","devicetype":4,"connectiontype":2,"language":"en",)";
  body += R"("ip":"203.0.113.)" + std::to_string(user % 250) + R"(",)";
  body += R"("ifa":")" + UserId(user) + R"(",)" + (lmt ? R"("lmt":1,)" : "");
  body += R"("geo":{"country":")" + std::string(country) + R"("}})";
  body += Regs(regs);
  body += "}";
  return body;
}

}  // namespace vetrina::loadgen
