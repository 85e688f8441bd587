// A streamed membership upload (POST or DELETE /v1/audiences/{id}/members): one id per line, raw
// or as the SHA-256 hex of the lower-cased id. Lines are turned into updates as the body arrives
// and handed to the writer in batches, so 10M ids never sit in memory; the response comes once
// all of them are durable. A bad line is counted as rejected, never fatal.
#pragma once

#include <string>
#include <vector>

#include "adapters/audiences/membership_writer.h"
#include "adapters/http/http_types.h"

namespace vetrina::audiences {

// Not thread-safe: owned by the connection that uploads.
class MembersUpload final : public http::BodyStream {
 public:
  static constexpr size_t kMaxLine = 512;
  static constexpr size_t kBatch = 100'000;

  MembersUpload(MembershipWriter& writer, engine::SegmentId segment, engine::Day expires,
                bool remove);
  bool Append(std::string_view chunk) override;
  void Finish(http::HttpResponse* response) override;

  // Counts so far.
  size_t accepted() const { return accepted_; }
  size_t rejected() const { return rejected_; }

 private:
  void Line(std::string_view line);
  void Flush();

  MembershipWriter& writer_;
  const engine::SegmentId segment_;
  const engine::Day expires_;
  const bool remove_;
  std::string partial_;         // a line split across chunks
  bool skipping_long_ = false;  // inside a line longer than kMaxLine
  std::vector<engine::AudienceUpdate> batch_;
  uint64_t first_ticket_ = 0;  // 0: nothing submitted yet
  uint64_t last_ticket_ = 0;
  size_t accepted_ = 0;
  size_t rejected_ = 0;
};

}  // namespace vetrina::audiences
