#include "adapters/storage/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "../../support/temp_dir.h"

namespace vetrina::storage {
namespace {

using vetrina::testing::TempDir;

std::vector<std::string> ReplayAll(const std::string& path, JournalStats* stats = nullptr) {
  std::vector<std::string> records;
  auto journal = Journal::Open(
      path,
      [&](std::string_view r) {
        records.emplace_back(r);
        return absl::OkStatus();
      },
      stats);
  REQUIRE(journal.ok());
  return records;
}

TEST_CASE("appended records come back in order after reopening") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE(journal.ok());
    REQUIRE((*journal)->Append("one").ok());
    REQUIRE((*journal)->Append(std::string("two\0with nul", 12)).ok());
    REQUIRE((*journal)->Append("").ok());
  }
  CHECK(ReplayAll(path) == std::vector<std::string>{"one", std::string("two\0with nul", 12), ""});
  // And appending after a reopen continues the same file.
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE((*journal)->Append("four").ok());
  }
  CHECK(ReplayAll(path).size() == 4);
}

TEST_CASE("Reload replays every record from the start, appends since Open included") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE(journal.ok());
    REQUIRE((*journal)->Append("one").ok());
  }
  auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
  REQUIRE(journal.ok());
  REQUIRE((*journal)->Append(std::string(100'000, 'x')).ok());
  std::vector<std::string> records;
  REQUIRE((*journal)
              ->Reload([&](std::string_view r) {
                records.emplace_back(r);
                return absl::OkStatus();
              })
              .ok());
  CHECK(records == std::vector<std::string>{"one", std::string(100'000, 'x')});
  CHECK((*journal)->Follow([](std::string_view) { return absl::InternalError("no"); }).ok());
}

TEST_CASE("a torn final append is cut off and the rest survives") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE((*journal)->Append("kept-1").ok());
    REQUIRE((*journal)->Append("kept-2").ok());
    REQUIRE((*journal)->Append("torn-record").ok());
  }
  const auto full = std::filesystem::file_size(path);
  // Every possible crash point inside the last frame.
  for (uintmax_t cut = 1; cut < 8 + 11; ++cut) {
    INFO(cut);
    std::filesystem::copy_file(path, path + ".cut",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(path + ".cut", full - cut);
    JournalStats stats;
    CHECK(ReplayAll(path + ".cut", &stats) == std::vector<std::string>{"kept-1", "kept-2"});
    CHECK(stats.torn_tail_bytes == 8 + 11 - cut);
    // The file is repaired: a new append lands after the last intact record.
    {
      auto journal =
          Journal::Open(path + ".cut", [](std::string_view) { return absl::OkStatus(); });
      REQUIRE((*journal)->Append("after").ok());
    }
    CHECK(ReplayAll(path + ".cut") == std::vector<std::string>{"kept-1", "kept-2", "after"});
  }
}

TEST_CASE("a flipped byte in the last record is a torn tail; a header crash starts afresh") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE((*journal)->Append("first").ok());
    REQUIRE((*journal)->Append("second").ok());
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-2, std::ios::end);
    f.put('X');
  }
  CHECK(ReplayAll(path) == std::vector<std::string>{"first"});

  const std::string fresh = (dir.path / "k").string();
  std::ofstream(fresh) << "VTJ";  // crashed while writing the header
  CHECK(ReplayAll(fresh).empty());
}

TEST_CASE("damage before the last record is DataLoss, not a silent truncation") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE((*journal)->Append("first record").ok());
    REQUIRE((*journal)->Append("second record").ok());
    REQUIRE((*journal)->Append("third record").ok());
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 8 + 3);  // inside the first record's payload
    f.put('X');
  }
  const auto size = std::filesystem::file_size(path);
  auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
  CHECK(journal.status().code() == absl::StatusCode::kDataLoss);
  CHECK(std::filesystem::file_size(path) == size);  // nothing dropped
}

TEST_CASE("a foreign file is refused, not overwritten") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  std::ofstream(path) << "this is someone else's file";
  auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
  CHECK(journal.status().code() == absl::StatusCode::kDataLoss);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text == "this is someone else's file");
}

TEST_CASE("a replay error stops the open and names the record") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  {
    auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
    REQUIRE((*journal)->Append("ok").ok());
    REQUIRE((*journal)->Append("bad").ok());
  }
  auto journal = Journal::Open(path, [](std::string_view r) {
    return r == "bad" ? absl::InvalidArgumentError("cannot apply") : absl::OkStatus();
  });
  CHECK(journal.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(journal.status().message()).find("cannot apply") != std::string::npos);
}

TEST_CASE("rewrite replaces the contents atomically") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  auto journal = Journal::Open(path, [](std::string_view) { return absl::OkStatus(); });
  for (int i = 0; i < 10; ++i) REQUIRE((*journal)->Append("r" + std::to_string(i)).ok());
  REQUIRE((*journal)->Rewrite({"compacted"}).ok());
  REQUIRE((*journal)->Append("next").ok());
  journal->reset();
  CHECK(ReplayAll(path) == std::vector<std::string>{"compacted", "next"});
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
}

}  // namespace
TEST_CASE("every sync of a journal is timed for its observer") {
  TempDir dir;
  const std::string path = (dir.path / "j").string();
  std::vector<absl::Duration> syncs;
  const SyncObserver observe = [&](absl::Duration elapsed) { syncs.push_back(elapsed); };
  auto journal = Journal::Open(
      path, [](std::string_view) { return absl::OkStatus(); }, nullptr, observe);
  REQUIRE(journal.ok());
  // A new file: the header's fdatasync and the directory's fsync.
  CHECK(syncs.size() == 2);
  REQUIRE((*journal)->Append("one").ok());
  REQUIRE((*journal)->Append("two").ok());
  CHECK(syncs.size() == 4);  // one fdatasync per append
  REQUIRE((*journal)->Rewrite({"one"}).ok());
  CHECK(syncs.size() == 6);  // the temporary file's fsync and the directory's
  for (absl::Duration d : syncs) CHECK(d >= absl::ZeroDuration());

  // Reopened through a LogOpener: an intact file syncs nothing until it is appended to.
  journal->reset();
  syncs.clear();
  auto log =
      JournalOpener(path, nullptr, observe)([](std::string_view) { return absl::OkStatus(); });
  REQUIRE(log.ok());
  CHECK(syncs.empty());
  REQUIRE((*log)->Append("three").ok());
  CHECK(syncs.size() == 1);
}

}  // namespace vetrina::storage
