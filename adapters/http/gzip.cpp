#include "adapters/http/gzip.h"

#include <zlib.h>

#include <cassert>

#include "absl/strings/match.h"

namespace vetrina::http {

absl::Status GzipInflate(std::string_view gzip, size_t max_bytes, std::string* out) {
  out->clear();
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
  zs.avail_in = static_cast<uInt>(gzip.size());
  char chunk[16 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("body is not valid gzip");
    }
    const size_t produced = sizeof(chunk) - zs.avail_out;
    if (out->size() + produced > max_bytes) {
      inflateEnd(&zs);
      out->clear();
      return absl::ResourceExhaustedError("inflated body too large");
    }
    out->append(chunk, produced);
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("gzip body is truncated");
    }
  }
  const bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) return absl::InvalidArgumentError("trailing bytes after the gzip stream");
  return absl::OkStatus();
}

void GzipDeflate(std::string_view data, std::string* out) {
  z_stream zs{};
  const int rc = deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  assert(rc == Z_OK);
  (void)rc;
  out->resize(deflateBound(&zs, data.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  const int finished = deflate(&zs, Z_FINISH);
  assert(finished == Z_STREAM_END);
  (void)finished;
  out->resize(zs.total_out);
  deflateEnd(&zs);
}

bool AcceptsGzip(std::string_view accept_encoding) {
  size_t pos = 0;
  while (pos <= accept_encoding.size()) {
    size_t end = accept_encoding.find(',', pos);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string_view item = accept_encoding.substr(pos, end - pos);
    pos = end + 1;
    size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding.size() != 4 ||
        !absl::EqualsIgnoreCase(absl::string_view(coding.data(), 4), "gzip")) {
      continue;
    }
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    // "q=0", "q=0.0", "q=0.000" refuse it.
    size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view value = params.substr(q + 2);
    bool zero = !value.empty() && value[0] == '0';
    for (size_t i = 1; zero && i < value.size() && value[i] != ' '; ++i) {
      if (value[i] != '.' && value[i] != '0') zero = false;
    }
    return !zero;
  }
  return false;
}

}  // namespace vetrina::http
