// Reads big-endian bit fields straight from base64url text (6 bits per character), the encoding
// of TCF and GPP consent strings; '=' padding at the end is ignored. Reading past the end fails
// rather than inventing zeros, so a truncated string is an error.
//
//   Base64BitReader r("CPXxRfAPXxRfAAfKABENB");
//   uint64_t version;
//   if (!r.valid() || !r.Read(6, &version)) -> malformed
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/base64url.h"

namespace vetrina::engine {

class Base64BitReader {
 public:
  explicit Base64BitReader(std::string_view text) : text_(text) {
    while (!text_.empty() && text_.back() == '=') text_.remove_suffix(1);
    for (char c : text_) {
      if (Base64UrlValue(c) < 0) valid_ = false;
    }
  }

  // False when the text has a character outside the base64url alphabet.
  bool valid() const { return valid_; }
  size_t bits_left() const { return text_.size() * 6 - position_; }
  size_t position() const { return position_; }

  // Reads `n` (≤ 64) bits, most significant first.
  bool Read(int n, uint64_t* out) {
    if (static_cast<size_t>(n) > bits_left()) return false;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      const size_t bit = position_ + i;
      const int sextet = Base64UrlValue(text_[bit / 6]);
      v = (v << 1) | ((sextet >> (5 - bit % 6)) & 1);
    }
    position_ += n;
    *out = v;
    return true;
  }
  bool ReadBool(bool* out) {
    uint64_t v;
    if (!Read(1, &v)) return false;
    *out = v != 0;
    return true;
  }
  template <typename T>
  bool ReadInt(int n, T* out) {
    uint64_t v;
    if (!Read(n, &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  // A Fibonacci-coded positive integer (GPP): bits weight 1, 2, 3, 5, 8, ... up to a "11" pair.
  bool ReadFibonacci(uint64_t* out) {
    uint64_t value = 0, a = 1, b = 2;  // weights of the current and next bit
    bool previous = false;
    for (int i = 0; i < 64; ++i) {
      bool bit;
      if (!ReadBool(&bit)) return false;
      if (bit && previous) {
        *out = value;
        return value > 0;
      }
      if (bit) value += a;
      previous = bit;
      const uint64_t next = a + b;
      a = b;
      b = next;
    }
    return false;
  }

 private:
  std::string_view text_;
  size_t position_ = 0;
  bool valid_ = true;
};

// Writes bit fields as base64url text, the inverse of Base64BitReader (for round-trip tests and
// encoders). The last character is zero-padded.
class Base64BitWriter {
 public:
  void Write(int n, uint64_t v) {
    for (int i = n - 1; i >= 0; --i) Bit((v >> i) & 1);
  }
  void Bit(bool b) {
    acc_ = static_cast<uint8_t>((acc_ << 1) | (b ? 1 : 0));
    if (++bits_ == 6) Flush();
  }
  std::string Finish() {
    while (bits_ != 0) Bit(false);
    return std::move(out_);
  }

 private:
  void Flush() {
    out_.push_back(kBase64UrlAlphabet[acc_ & 63]);
    acc_ = 0;
    bits_ = 0;
  }
  std::string out_;
  uint8_t acc_ = 0;
  int bits_ = 0;
};

}  // namespace vetrina::engine
