// Small helpers over simdjson On-Demand that turn type errors into absl::Status messages naming
// the field ("imp[0].banner.w: must be an integer"). Used by the OpenRTB and Native parsers; not
// part of the module's public interface.
//
// Paths are built only on the error path: a reader returns ": must be X" and each enclosing
// object or array prefixes its key or index while the error travels up.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::openrtb::json {

using simdjson::ondemand::value;

// "w" + ": must be..." -> "w: must be..."; "imp" + "[0].id: ..." -> "imp[0].id: ...".
inline absl::Status Prefix(std::string_view key, const absl::Status& status) {
  std::string_view msg = View(status.message());
  const bool joins = !msg.empty() && (msg[0] == ':' || msg[0] == '[');
  return absl::Status(status.code(), StrCat(key, joins ? "" : ".", msg));
}

// What the readers met besides the error they return, for the request parser, which resets it
// before each request: what it tolerated (for metrics) and whether an error leaves the document
// unreadable or the request ambiguous (then no imp can be dropped in its place). Per thread, as
// the parsers are.
struct ParseState {
  int ignored_exts = 0;         // `ext` members that were not objects (nor null)
  bool malformed_json = false;  // the document is not well-formed JSON
  bool duplicate_member = false;
};
inline thread_local ParseState parse_state;

inline absl::Status Error(simdjson::error_code error, std::string_view expected) {
  if (error == simdjson::INCORRECT_TYPE || error == simdjson::NUMBER_OUT_OF_RANGE) {
    return absl::InvalidArgumentError(StrCat(": must be ", expected));
  }
  parse_state.malformed_json = true;
  return absl::InvalidArgumentError(
      StrCat(": invalid JSON (", simdjson::error_message(error), ")"));
}

inline absl::Status ReadString(value v, std::string* out) {
  std::string_view s;
  if (auto e = v.get_string().get(s)) return Error(e, "a string");
  out->assign(s.data(), s.size());
  return absl::OkStatus();
}

// Integers; also accepts a number with no fractional part (1.0), which some exchanges send.
inline absl::Status ReadInt64(value v, int64_t* out) {
  simdjson::ondemand::json_type json_type;
  if (auto e = v.type().get(json_type)) return Error(e, "an integer");
  if (json_type != simdjson::ondemand::json_type::number) {
    return Error(simdjson::INCORRECT_TYPE, "an integer");
  }
  simdjson::ondemand::number_type type;
  if (auto e = v.get_number_type().get(type)) return Error(e, "an integer");
  if (type == simdjson::ondemand::number_type::floating_point_number) {
    double d;
    if (auto e = v.get_double().get(d)) return Error(e, "an integer");
    // Range first: converting a double outside int64's range is undefined behaviour.
    if (!(d >= -0x1p63 && d < 0x1p63) || d != static_cast<double>(static_cast<int64_t>(d)))
      return Error(simdjson::INCORRECT_TYPE, "an integer");
    *out = static_cast<int64_t>(d);
    return absl::OkStatus();
  }
  if (auto e = v.get_int64().get(*out)) return Error(e, "an integer");
  return absl::OkStatus();
}

inline absl::Status ReadInt(value v, int* out) {
  int64_t wide = 0;
  VETRINA_RETURN_IF_ERROR(ReadInt64(v, &wide));
  if (wide < INT32_MIN || wide > INT32_MAX)
    return Error(simdjson::NUMBER_OUT_OF_RANGE, "a 32-bit integer");
  *out = static_cast<int>(wide);
  return absl::OkStatus();
}

// 0/1 flags; JSON booleans are accepted too.
inline absl::Status ReadFlag(value v, bool* out) {
  simdjson::ondemand::json_type type;
  if (auto e = v.type().get(type)) return Error(e, "0 or 1");
  if (type == simdjson::ondemand::json_type::boolean) {
    if (auto e = v.get_bool().get(*out)) return Error(e, "0 or 1");
    return absl::OkStatus();
  }
  int n = 0;
  VETRINA_RETURN_IF_ERROR(ReadInt(v, &n));
  *out = n != 0;
  return absl::OkStatus();
}

// Deepest nesting accepted inside a field the parsers do not read. simdjson On-Demand skips
// unread values without a depth limit, so unknown subtrees are walked here, bounded, instead.
inline constexpr int kMaxUnknownDepth = 32;

// Consumes a value the caller does not use, failing if it nests deeper than `depth_left`.
inline absl::Status Skip(value v, int depth_left = kMaxUnknownDepth) {
  simdjson::ondemand::json_type type;
  if (auto e = v.type().get(type)) return Error(e, "valid JSON");
  if (type == simdjson::ondemand::json_type::object ||
      type == simdjson::ondemand::json_type::array) {
    if (depth_left == 0) return absl::InvalidArgumentError(": nesting too deep");
  }
  if (type == simdjson::ondemand::json_type::object) {
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) return Error(e, "an object");
    for (auto field_result : object) {
      simdjson::ondemand::field field;
      if (auto e = std::move(field_result).get(field)) return Error(e, "an object");
      VETRINA_RETURN_IF_ERROR(Skip(field.value(), depth_left - 1));
    }
  } else if (type == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array array;
    if (auto e = v.get_array().get(array)) return Error(e, "an array");
    for (auto element_result : array) {
      value element;
      if (auto e = std::move(element_result).get(element)) return Error(e, "an array");
      VETRINA_RETURN_IF_ERROR(Skip(element, depth_left - 1));
    }
  }
  return absl::OkStatus();
}

inline absl::Status ReadDouble(value v, double* out) {
  if (auto e = v.get_double().get(*out)) return Error(e, "a number");
  return absl::OkStatus();
}

// The keys of one object seen so far, to reject a member given twice (RFC 8259 §4: names
// SHOULD be unique; parsers disagree on which duplicate wins, so the exchange and we could
// read different requests). A linear scan over a fixed array covers the objects of a bid
// request; a bigger object moves to a hash set.
class SeenKeys {
 public:
  // False when `key` was seen before. `key` must outlive this set (it points into the parser's
  // string buffer, valid for the document).
  [[gnu::always_inline]] bool Insert(std::string_view key) {
    if (overflow_ != nullptr) return overflow_->insert(key).second;
    const uint64_t signature = Signature(key);
    // A 64-bit filter of the signatures seen: the scan runs only when this key's bit is set,
    // which for an object of a dozen keys is rare.
    const uint64_t bit = uint64_t{1} << ((signature * 0x9e3779b97f4a7c15ULL) >> 58);
    if ((filter_ & bit) != 0) {
      for (size_t i = 0; i < size_; ++i) {
        // Equal signatures mean equal lengths, so reading key.size() bytes of data_[i] is safe.
        if (signatures_[i] == signature && std::string_view(data_[i], key.size()) == key) {
          return false;
        }
      }
    }
    filter_ |= bit;
    if (size_ < kInline) {
      signatures_[size_] = signature;
      data_[size_++] = key.data();
      return true;
    }
    return Overflow(key);
  }

 private:
  static constexpr size_t kInline = 24;

  // Moves the keys to a hash set, once the inline arrays are full.
  [[gnu::noinline]] bool Overflow(std::string_view key) {
    overflow_ = std::make_unique<absl::flat_hash_set<std::string_view>>();
    for (size_t i = 0; i < size_; ++i) {
      overflow_->insert(std::string_view(data_[i], signatures_[i] >> 16));
    }
    return overflow_->insert(key).second;
  }

  // The length and the first and last bytes: a cheap first test that tells an object's keys
  // apart nearly always.
  static uint64_t Signature(std::string_view key) {
    if (key.empty()) return 0;
    return static_cast<uint64_t>(key.size()) << 16 |
           static_cast<uint64_t>(static_cast<uint8_t>(key.front())) << 8 |
           static_cast<uint8_t>(key.back());
  }

  // Plain arrays left uninitialised (this is built for every object); only the first size_
  // entries are read.
  uint64_t signatures_[kInline];
  const char* data_[kInline];
  size_t size_ = 0;
  uint64_t filter_ = 0;
  std::unique_ptr<absl::flat_hash_set<std::string_view>> overflow_;
};

// Calls fn(std::string_view key, value v) -> absl::Status for each field, in document order.
// A member given twice is an error naming it. An `ext` that is not an object is exchange-specific
// data we cannot read (OpenRTB 2.6 §3.2: ext is a placeholder for exchange-specific extensions):
// it is skipped and counted in `parse_state`, never passed to `fn`; a null one is skipped silently.
template <typename Fn>
absl::Status ForEachField(value v, Fn&& fn) {
  simdjson::ondemand::object object;
  if (auto e = v.get_object().get(object)) return Error(e, "an object");
  SeenKeys seen;
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if (auto e = std::move(field_result).get(field)) return Error(e, "an object");
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Error(e, "an object");
    if (!seen.Insert(key)) {
      parse_state.duplicate_member = true;
      return absl::InvalidArgumentError(StrCat(": duplicate member \"", key, "\""));
    }
    value field_value = field.value();
    if (key == "ext") {
      simdjson::ondemand::json_type type;
      if (auto e = field_value.type().get(type)) return Prefix(key, Error(e, "an object"));
      if (type != simdjson::ondemand::json_type::object) {
        if (type != simdjson::ondemand::json_type::null) ++parse_state.ignored_exts;
        if (absl::Status s = Skip(field_value); !s.ok()) return Prefix(key, s);
        continue;
      }
    }
    if (absl::Status s = fn(key, field_value); !s.ok()) return Prefix(key, s);
  }
  return absl::OkStatus();
}

// Calls fn(size_t index, value v) -> absl::Status for each element.
template <typename Fn>
absl::Status ForEachElement(value v, Fn&& fn) {
  simdjson::ondemand::array array;
  if (auto e = v.get_array().get(array)) return Error(e, "an array");
  size_t index = 0;
  for (auto element_result : array) {
    value element;
    if (auto e = std::move(element_result).get(element)) return Error(e, "an array");
    if (absl::Status s = fn(index, element); !s.ok()) {
      return Prefix(StrCat("[", index, "]"), s);
    }
    ++index;
  }
  return absl::OkStatus();
}

inline absl::Status ReadStringArray(value v, std::vector<std::string>* out) {
  out->clear();
  return ForEachElement(
      v, [&](size_t, value element) { return ReadString(element, &out->emplace_back()); });
}

inline absl::Status ReadIntArray(value v, std::vector<int>* out) {
  out->clear();
  return ForEachElement(
      v, [&](size_t, value element) { return ReadInt(element, &out->emplace_back()); });
}

}  // namespace vetrina::openrtb::json
