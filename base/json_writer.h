// A minimal append-only JSON writer for responses and reports: no DOM, no allocation beyond the
// output string. The caller keeps objects and arrays balanced; commas are placed automatically.
//
//   std::string out;
//   JsonWriter w(&out);
//   w.BeginObject();
//   w.Key("id"); w.String(request_id);
//   w.EndObject();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vetrina {

// Appends `text` JSON-escaped, without quotes.
void AppendJsonEscaped(std::string_view text, std::string* out);

// Appends an amount in millionths (money in micros) as a decimal with no trailing zeros:
// 1250000 -> "1.25".
void AppendDecimal(int64_t micros, std::string* out);

// Not thread-safe.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Separate();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }
  void BeginArray() {
    Separate();
    out_->push_back('[');
    first_ = true;
  }
  void EndArray() {
    out_->push_back(']');
    first_ = false;
  }
  void Key(std::string_view key) {
    Separate();
    out_->push_back('"');
    AppendJsonEscaped(key, out_);
    out_->append("\":");
    first_ = true;  // the value follows without a comma
  }
  void String(std::string_view value) {
    Separate();
    out_->push_back('"');
    AppendJsonEscaped(value, out_);
    out_->push_back('"');
  }
  void Int(int64_t value);
  // Ratios and rates for reports (6 significant digits); not for money.
  void Double(double value);
  void Bool(bool value) {
    Separate();
    out_->append(value ? "true" : "false");
  }
  void Price(int64_t micros) {
    Separate();
    AppendDecimal(micros, out_);
  }

 private:
  void Separate() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace vetrina
