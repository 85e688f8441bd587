// Parses an OpenRTB Native 1.2 request (the string inside `imp.native.request`) into the assets a
// native ad must carry. Accepts the 1.0/1.1 form wrapped in {"native": {...}} too.
//
//   NativeRequestParser parser;   // one per thread, reused
//   engine::NativeRequest native;
//   absl::Status s = parser.Parse(imp_native_request_string, &native);
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/core/native.h"

namespace vetrina::openrtb {

// Not thread-safe: one per thread.
class NativeRequestParser {
 public:
  static constexpr size_t kMaxBytes = 64 * 1024;

  NativeRequestParser();

  // InvalidArgument naming the field on malformed input.
  absl::Status Parse(std::string_view json, engine::NativeRequest* out);

  // Reads an already-open Native request object (2.6 senders sometimes inline it).
  static absl::Status ParseObject(simdjson::ondemand::value object, engine::NativeRequest* out);

 private:
  static absl::Status ParseWrapped(simdjson::ondemand::value object, engine::NativeRequest* out);
  static absl::Status ParseLevel(simdjson::ondemand::value object, engine::NativeRequest* out,
                                 bool wrapped);

 public:
 private:
  simdjson::ondemand::parser parser_;
  std::string padded_;
};

}  // namespace vetrina::openrtb
