// A compact binary encoding for notice tokens and spend journal records: unsigned LEB128
// varints, zigzag signed varints and length-prefixed strings. The reader never reads past its
// input and reports any malformed field, so it is safe on bytes from the internet.
//
//   ByteWriter w;  w.U64(7);  w.String("c-1");
//   ByteReader r(w.bytes());  uint64_t n;  std::string_view s;
//   if (!r.U64(&n) || !r.String(&s)) -> malformed
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vetrina {

class ByteWriter {
 public:
  void U64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(int64_t v) { U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void String(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Raw(std::string_view s) { out_.append(s); }

  const std::string& bytes() const { return out_; }
  std::string& mutable_bytes() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U64(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      const auto byte = static_cast<uint8_t>(in_[pos_++]);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return true;
  }
  bool String(std::string_view* s, size_t max_size = 1024) {
    uint64_t size;
    if (!U64(&size) || size > max_size || size > in_.size() - pos_) return false;
    *s = in_.substr(pos_, size);
    pos_ += size;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (pos_ >= in_.size()) return false;
    *b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }

  bool done() const { return pos_ == in_.size(); }
  size_t position() const { return pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace vetrina
