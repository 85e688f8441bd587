#include "engine/audience/audience.h"

#include <algorithm>
#include <charconv>

namespace vetrina::engine {
namespace {

const std::string* Param(const PixelEvent& event, std::string_view name) {
  for (const auto& [key, value] : event.params) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<double> Number(const std::string& text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool Holds(const PixelCondition& c, const PixelEvent& event) {
  const std::string* value = Param(event, c.param);
  if (value == nullptr) return false;
  switch (c.op) {
    case PixelCondition::Op::kIn:
    case PixelCondition::Op::kEq:
      return std::find(c.values.begin(), c.values.end(), *value) != c.values.end();
    default:
      break;
  }
  const std::optional<double> n = Number(*value);
  if (!n) return false;
  switch (c.op) {
    case PixelCondition::Op::kGe:
      return *n >= c.number;
    case PixelCondition::Op::kGt:
      return *n > c.number;
    case PixelCondition::Op::kLe:
      return *n <= c.number;
    case PixelCondition::Op::kLt:
      return *n < c.number;
    default:
      return false;
  }
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool RuleMatches(const PixelRule& rule, const PixelEvent& event) {
  if (!Contains(rule.events, event.event)) return false;
  return std::all_of(rule.conditions.begin(), rule.conditions.end(),
                     [&](const PixelCondition& c) { return Holds(c, event); });
}

bool RuleExcludes(const PixelRule& rule, const PixelEvent& event) {
  return Contains(rule.exclude_events, event.event);
}

}  // namespace vetrina::engine
