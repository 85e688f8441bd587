#include "adapters/campaigns/audience_json.h"

#include <simdjson.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace vetrina::campaigns {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

bool ReadEventList(element e, const std::string& at, std::vector<std::string>* out,
                   std::vector<Problem>* problems) {
  array list;
  if (e.get_array().get(list)) {
    problems->push_back({at, "must be an array of event names"});
    return false;
  }
  size_t i = 0;
  for (element item : list) {
    std::string_view name;
    if (item.get_string().get(name) || !IsValidEventName(name)) {
      problems->push_back({StrCat(at, "/", i), "must match ^[A-Za-z0-9_.-]{1,64}$"});
    } else {
      out->emplace_back(name);
    }
    ++i;
  }
  return true;
}

}  // namespace

bool IsValidEventName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

absl::StatusOr<engine::Audience> ParseAudience(std::string_view json, const std::string& id,
                                               const std::string& advertiser,
                                               std::vector<Problem>* problems_out) {
  std::vector<Problem> problems;
  engine::Audience a;
  a.id = id;
  a.advertiser = advertiser;
  simdjson::dom::parser parser;
  element root;
  object obj;
  if (parser.parse(json.data(), json.size()).get(root) || root.get_object().get(obj)) {
    problems.push_back({"", "must be a JSON object"});
  } else {
    for (auto [key, value] : obj) {
      if (key != "name" && key != "kind" && key != "ttl_days" && key != "rule") {
        problems.push_back({StrCat("/", key), "unknown field"});
      }
    }
    std::string_view text;
    if (obj["name"].get(text) || text.empty() || text.size() > 256) {
      problems.push_back({"/name", "required, a string of 1 to 256 characters"});
    } else {
      a.name = std::string(text);
    }
    std::string_view kind;
    if (obj["kind"].get(kind) || (kind != "custom" && kind != "pixel")) {
      problems.push_back({"/kind", "must be one of custom, pixel"});
    } else {
      a.kind = kind == "pixel" ? engine::AudienceKind::kPixel : engine::AudienceKind::kCustom;
    }
    int64_t ttl = 30;
    element ttl_element;
    if (obj["ttl_days"].get(ttl_element) == simdjson::SUCCESS &&
        (ttl_element.get_int64().get(ttl) || ttl < 1 || ttl > engine::kMaxAudienceTtlDays)) {
      problems.push_back({"/ttl_days", StrCat("must be an integer within [1, ",
                                              engine::kMaxAudienceTtlDays, "]")});
    }
    a.ttl_days = static_cast<int>(ttl);
    element rule_element;
    const bool has_rule = obj["rule"].get(rule_element) == simdjson::SUCCESS;
    if (a.kind == engine::AudienceKind::kPixel && !has_rule) {
      problems.push_back({"/rule", "required for a pixel audience"});
    }
    if (a.kind == engine::AudienceKind::kCustom && has_rule) {
      problems.push_back({"/rule", "only pixel audiences have a rule"});
    }
    object rule;
    if (has_rule && a.kind == engine::AudienceKind::kPixel) {
      if (rule_element.get_object().get(rule)) {
        problems.push_back({"/rule", "must be an object"});
      } else {
        for (auto [key, value] : rule) {
          if (key != "events" && key != "conditions" && key != "recency_days" &&
              key != "exclude_events") {
            problems.push_back({StrCat("/rule/", key), "unknown field"});
          }
        }
        element e;
        if (rule["events"].get(e)) {
          problems.push_back({"/rule/events", "required"});
        } else {
          ReadEventList(e, "/rule/events", &a.rule.events, &problems);
          if (a.rule.events.empty()) problems.push_back({"/rule/events", "must not be empty"});
        }
        if (rule["exclude_events"].get(e) == simdjson::SUCCESS) {
          ReadEventList(e, "/rule/exclude_events", &a.rule.exclude_events, &problems);
        }
        if (rule["recency_days"].get(e) == simdjson::SUCCESS) {
          int64_t days = 0;
          if (e.get_int64().get(days) || days < 1 || days > engine::kMaxAudienceTtlDays) {
            problems.push_back({"/rule/recency_days", StrCat("must be an integer within [1, ",
                                                             engine::kMaxAudienceTtlDays, "]")});
          }
          a.rule.recency_days = static_cast<int>(days);
        }
        array conditions;
        if (rule["conditions"].get(e) == simdjson::SUCCESS) {
          if (e.get_array().get(conditions)) {
            problems.push_back({"/rule/conditions", "must be an array"});
          } else {
            size_t i = 0;
            for (element c : conditions) {
              const std::string at = StrCat("/rule/conditions/", i++);
              engine::PixelCondition cond;
              std::string_view param, op;
              if (c["param"].get(param) || param.empty() || param.size() > 64) {
                problems.push_back({at + "/param", "required, 1 to 64 characters"});
              }
              cond.param = std::string(param);
              if (c["op"].get(op)) {
                problems.push_back({at + "/op", "required"});
                continue;
              }
              if (op == "in" || op == "=") {
                cond.op =
                    op == "in" ? engine::PixelCondition::Op::kIn : engine::PixelCondition::Op::kEq;
                array values;
                std::string_view single;
                if (op == "in" && c["values"].get(values) == simdjson::SUCCESS) {
                  for (element v : values) {
                    std::string_view s;
                    if (v.get_string().get(s)) {
                      problems.push_back({at + "/values", "must be strings"});
                      break;
                    }
                    cond.values.emplace_back(s);
                  }
                } else if (op == "=" && c["value"].get(single) == simdjson::SUCCESS) {
                  cond.values.emplace_back(single);
                } else {
                  problems.push_back({at, op == "in" ? "\"in\" needs \"values\": [strings]"
                                                     : "\"=\" needs \"value\": string"});
                }
              } else if (op == ">=" || op == ">" || op == "<=" || op == "<") {
                cond.op = op == ">="   ? engine::PixelCondition::Op::kGe
                          : op == ">"  ? engine::PixelCondition::Op::kGt
                          : op == "<=" ? engine::PixelCondition::Op::kLe
                                       : engine::PixelCondition::Op::kLt;
                if (c["value"].get(cond.number)) {
                  problems.push_back({at + "/value", "must be a number"});
                }
              } else {
                problems.push_back({at + "/op", "must be one of in, =, >=, >, <=, <"});
              }
              a.rule.conditions.push_back(std::move(cond));
            }
          }
        }
      }
    }
  }
  if (problems.empty()) return a;
  std::vector<std::string> lines;
  for (const Problem& p : problems) lines.push_back(StrCat(p.pointer, ": ", p.message));
  if (problems_out) *problems_out = problems;
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

}  // namespace vetrina::campaigns
