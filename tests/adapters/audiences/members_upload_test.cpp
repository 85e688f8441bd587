#include "adapters/audiences/members_upload.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../../support/temp_dir.h"
#include "absl/strings/ascii.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace vetrina::audiences {
namespace {

using vetrina::testing::TempDir;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr engine::SegmentId kSegment = 9;

// A started writer over an empty store in a fresh data dir.
struct Setup {
  TempDir dir;
  vetrina::ManualClock clock{kNow};
  engine::EpochDomain domain;
  engine::AudienceStore store{domain, 1};
  MembershipWriterPtr writer;

  Setup() {
    absl::StatusOr<MembershipWriterPtr> opened =
        MembershipWriter::Open(dir.path.string(), store, clock);
    REQUIRE(opened.ok());
    writer = *std::move(opened);
    writer->Start();
  }

  engine::Day today() const { return engine::AudienceDay(clock.Now()); }

  bool Member(const engine::AudienceKey& key) {
    engine::EpochDomain::Reader reader(domain);
    engine::EpochDomain::ReadGuard guard(reader);
    std::vector<engine::SegmentId> segments;
    store.Lookup(guard, key, today(), &segments);
    return std::find(segments.begin(), segments.end(), kSegment) != segments.end();
  }
  bool Member(std::string_view id) { return Member(*engine::KeyForId(id)); }

  // Uploads `chunks` in order and returns the response.
  http::HttpResponse Upload(const std::vector<std::string>& chunks, bool remove = false) {
    MembersUpload upload(*writer, kSegment, today() + 30, remove);
    for (const std::string& chunk : chunks) CHECK(upload.Append(chunk));
    http::HttpResponse response;
    upload.Finish(&response);
    CHECK(response.status == 200);
    return response;
  }
};

std::string Counts(size_t added, size_t rejected) {
  return StrCat("{\"added\":", added, ",\"rejected\":", rejected, "}");
}

std::string HashHex(std::string_view id) { return vetrina::ToHex(vetrina::Sha256(id)); }

TEST_CASE("raw ids and SHA-256 hex lines reach the same users") {
  Setup f;
  const std::string upper_hex = absl::AsciiStrToUpper(HashHex("carol"));
  http::HttpResponse response = f.Upload({"Alice\n" + HashHex("bob") + "\n" + upper_hex + "\n"});
  CHECK(response.body == Counts(3, 0));
  CHECK(f.Member("alice"));  // raw ids are keyed lower-cased, as hashed lists are
  CHECK(f.Member("bob"));
  CHECK(f.Member("carol"));
  // A 64-digit hex line is a hash, not an id of its own.
  CHECK_FALSE(f.Member(HashHex("bob")));
  // Not 64 hex digits: an ordinary id.
  response = f.Upload({HashHex("dave").substr(1) + "\n" + HashHex("erin") + "x\n"});
  CHECK(response.body == Counts(2, 0));
  CHECK(f.Member(HashHex("dave").substr(1)));
  CHECK_FALSE(f.Member("dave"));
}

TEST_CASE("blank lines, CRLF and surrounding spaces are not part of an id") {
  Setup f;
  http::HttpResponse response = f.Upload({"\n\r\n   \n alice \r\nbob\r\n\n  carol\n\r\n"});
  CHECK(response.body == Counts(3, 0));  // blank lines are neither added nor rejected
  for (const char* id : {"alice", "bob", "carol"}) CHECK(f.Member(id));
  CHECK(f.store.users() == 3);
}

TEST_CASE("a last line without a newline counts") {
  Setup f;
  CHECK(f.Upload({"alice\nbob"}).body == Counts(2, 0));
  CHECK(f.Member("bob"));
  CHECK(f.Upload({"carol\r"}).body == Counts(1, 0));
  CHECK(f.Member("carol"));
  CHECK(f.Upload({""}).body == Counts(0, 0));
  CHECK(f.Upload({}).body == Counts(0, 0));
}

TEST_CASE("control characters and over-long lines are rejected and counted, never fatal") {
  Setup f;
  const std::string longest(MembersUpload::kMaxLine, 'x');
  http::HttpResponse response = f.Upload({"bad\x01id\ntab\tid\nalice\n" + std::string(600, 'y') +
                                          "\n" + longest + "\ndel\x7f\nbob\n"});
  CHECK(response.body == Counts(3, 4));
  CHECK(f.Member("alice"));
  CHECK(f.Member("bob"));
  CHECK(f.Member(longest));
  CHECK(f.store.users() == 3);
}

TEST_CASE("an over-long line split across chunks is rejected once, and the next line counts") {
  Setup f;
  CHECK(f.Upload({"alice\n" + std::string(300, 'y'), std::string(300, 'y'),
                  std::string(300, 'y') + "\nbob\n"})
            .body == Counts(2, 1));
  CHECK(f.Member("bob"));
  // The same at the end of the body, without a final newline.
  CHECK(f.Upload({"carol\n" + std::string(400, 'z'), std::string(400, 'z')}).body == Counts(1, 1));
  CHECK(f.Member("carol"));
}

TEST_CASE("chunk boundaries do not matter") {
  const std::string body =
      "alice\r\n\n" + HashHex("bob") + "\r\n  carol \nbad\x02\n" + std::string(700, 'q') + "\ndave";
  Setup whole;
  const std::string expected = whole.Upload({body}).body;
  CHECK(expected == Counts(4, 2));
  for (size_t chunk_size : {1, 2, 3, 7, 64}) {
    INFO(chunk_size);
    Setup f;
    std::vector<std::string> chunks;
    for (size_t at = 0; at < body.size(); at += chunk_size) {
      chunks.push_back(body.substr(at, chunk_size));
    }
    CHECK(f.Upload(chunks).body == expected);
    for (const char* id : {"alice", "bob", "carol", "dave"}) CHECK(f.Member(id));
    CHECK(f.store.users() == 4);
  }
}

TEST_CASE("a removal upload takes the listed users out of the segment") {
  Setup f;
  REQUIRE(f.Upload({"alice\nbob\ncarol\n"}).body == Counts(3, 0));
  http::HttpResponse response = f.Upload({"alice\n" + HashHex("carol") + "\nbad\x03\n"}, true);
  CHECK(response.body == R"({"removed":2,"rejected":1})");
  CHECK_FALSE(f.Member("alice"));
  CHECK(f.Member("bob"));
  CHECK_FALSE(f.Member("carol"));
}

TEST_CASE("an upload larger than one batch is durable in full when it answers") {
  Setup f;
  const size_t count = MembersUpload::kBatch + 5;
  MembersUpload upload(*f.writer, kSegment, f.today() + 30, false);
  std::string chunk;
  for (size_t i = 0; i < count; ++i) {
    chunk += "user-" + std::to_string(i) + "\n";
    if (chunk.size() > 60'000) {
      upload.Append(chunk);
      chunk.clear();
    }
  }
  upload.Append(chunk);
  CHECK(upload.accepted() == count);
  CHECK(upload.rejected() == 0);
  http::HttpResponse response;
  upload.Finish(&response);
  CHECK(response.status == 200);
  CHECK(response.body == Counts(count, 0));
  CHECK(f.store.users() == count);
  CHECK(f.Member("user-0"));
  CHECK(f.Member("user-" + std::to_string(count - 1)));
}

}  // namespace
}  // namespace vetrina::audiences
