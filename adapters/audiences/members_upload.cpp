#include "adapters/audiences/members_upload.h"

#include "base/strings.h"
#include "engine/audience/audience_key.h"

namespace vetrina::audiences {
namespace {

bool Printable(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

MembersUpload::MembersUpload(MembershipWriter& writer, engine::SegmentId segment,
                             engine::Day expires, bool remove)
    : writer_(writer), segment_(segment), expires_(expires), remove_(remove) {}

void MembersUpload::Line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (line.empty()) return;
  std::optional<engine::AudienceKey> key = engine::KeyFromSha256Hex(line);
  if (!key && Printable(line)) key = engine::KeyForId(line);
  if (!key) {
    ++rejected_;
    return;
  }
  ++accepted_;
  batch_.push_back({*key, segment_, expires_, remove_});
  if (batch_.size() >= kBatch) Flush();
}

void MembersUpload::Flush() {
  if (batch_.empty()) return;
  last_ticket_ = writer_.Submit(std::move(batch_));
  if (first_ticket_ == 0) first_ticket_ = last_ticket_;
  batch_ = {};
  batch_.reserve(kBatch);
}

bool MembersUpload::Append(std::string_view chunk) {
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    if (skipping_long_) {
      // still inside an over-long line
    } else if (partial_.size() + piece.size() > kMaxLine) {
      ++rejected_;
      skipping_long_ = true;
      partial_.clear();
    } else if (newline == std::string_view::npos) {
      partial_.append(piece);
    } else if (partial_.empty()) {
      Line(piece);
    } else {
      partial_.append(piece);
      Line(partial_);
      partial_.clear();
    }
    if (newline == std::string_view::npos) break;
    skipping_long_ = false;
    chunk.remove_prefix(newline + 1);
  }
  return true;
}

void MembersUpload::Finish(http::HttpResponse* response) {
  if (!partial_.empty() && !skipping_long_) Line(partial_);
  partial_.clear();
  Flush();
  if (absl::Status s = writer_.WaitDurable(first_ticket_, last_ticket_); !s.ok()) {
    response->status = 503;
    if (absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) {
      // A shared log out of reach: the upload may be sent again (adding or removing the same
      // members twice changes nothing).
      response->headers.emplace_back("Retry-After", "1");
      response->body = R"({"error":"the audience log is unreachable; retry"})";
    } else {
      response->body = R"({"error":"the membership journal failed; nothing after it was applied"})";
    }
    return;
  }
  response->status = 200;
  response->body = StrCat("{\"", remove_ ? "removed" : "added", "\":", accepted_,
                          ",\"rejected\":", rejected_, "}");
}

}  // namespace vetrina::audiences
