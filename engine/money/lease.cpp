#include "engine/money/lease.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace vetrina::engine {

std::string LeaseName(LeaseId id) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%016" PRIx64 ".%" PRIu64, id.node, id.epoch);
  return buffer;
}

std::optional<LeaseId> ParseLeaseName(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot != 16 || name.size() < 18 || name.size() > 36) return std::nullopt;
  const std::string text(name);
  char* end = nullptr;
  LeaseId id;
  id.node = std::strtoull(text.c_str(), &end, 16);
  if (end != text.c_str() + 16) return std::nullopt;
  id.epoch = std::strtoull(text.c_str() + 17, &end, 10);
  if (end != text.c_str() + text.size() || !id.valid()) return std::nullopt;
  return id;
}

Micros LeaseWant(const LeaseDemand& demand, const LeaseTerms& terms) {
  const auto ahead =
      static_cast<Micros>(demand.asked_per_second * absl::ToDoubleSeconds(terms.horizon));
  const Micros floor = demand.largest_bid > 0 ? 2 * demand.largest_bid : terms.first_slice;
  return demand.owed + std::max(ahead, floor);
}

}  // namespace vetrina::engine
