#include "adapters/storage/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "base/status_macros.h"
#include "base/strings.h"

namespace vetrina::storage {
namespace {

constexpr std::string_view kMagic = "VTJRNL01";
constexpr size_t kFrameHeader = 8;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

void PutU32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

uint32_t Crc(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string Frame(std::string_view record) {
  std::string frame(kFrameHeader + record.size(), '\0');
  PutU32(static_cast<uint32_t>(record.size()), frame.data());
  PutU32(Crc(record), frame.data() + 4);
  std::memcpy(frame.data() + kFrameHeader, record.data(), record.size());
  return frame;
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadAll(int fd, const std::string& path) {
  std::string data;
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path);
    }
    if (n == 0) break;
    data.append(chunk, static_cast<size_t>(n));
  }
  return data;
}

// fsync (or fdatasync when `data_only`), timed for `on_sync`. Returns the call's result.
int Sync(int fd, bool data_only, const SyncObserver& on_sync) {
  const auto start = std::chrono::steady_clock::now();
  const int rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  const int sync_errno = errno;  // the caller reports it
  if (on_sync) on_sync(absl::FromChrono(std::chrono::steady_clock::now() - start));
  errno = sync_errno;
  return rc;
}

}  // namespace

absl::Status SyncParentDirectory(const std::string& path, const SyncObserver& on_sync) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open directory", dir);
  const int rc = Sync(fd, /*data_only=*/false, on_sync);
  ::close(fd);
  if (rc != 0) return Errno("fsync directory", dir);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, int mode,
                                 const SyncObserver& on_sync) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("create", tmp);
  absl::Status s = WriteAll(fd, contents, tmp);
  if (s.ok() && Sync(fd, /*data_only=*/false, on_sync) != 0) s = Errno("fsync", tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  return SyncParentDirectory(path, on_sync);
}

LogOpener JournalOpener(std::string path, JournalStats* stats, SyncObserver on_sync) {
  return [path = std::move(path), stats, on_sync = std::move(on_sync)](
             const RecordLog::ReplayFn& replay) -> absl::StatusOr<std::unique_ptr<RecordLog>> {
    absl::StatusOr<JournalPtr> journal = Journal::Open(path, replay, stats, on_sync);
    if (!journal.ok()) return journal.status();
    return std::unique_ptr<RecordLog>(*std::move(journal));
  };
}

absl::StatusOr<JournalPtr> Journal::Open(const std::string& path, const ReplayFn& replay,
                                         JournalStats* stats, SyncObserver on_sync) {
  const bool existed = ::access(path.c_str(), F_OK) == 0;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open", path);
  auto fail = [fd](absl::Status s) {
    ::close(fd);
    return s;
  };
  absl::StatusOr<std::string> data = ReadAll(fd, path);
  if (!data.ok()) return fail(data.status());
  JournalStats local;
  JournalStats& st = stats ? *stats : local;
  st = JournalStats{};

  if (data->size() < kMagic.size()) {
    // New, or a crash before the header was complete: start the file afresh.
    if (::ftruncate(fd, 0) != 0) return fail(Errno("truncate", path));
    if (::lseek(fd, 0, SEEK_SET) < 0) return fail(Errno("seek", path));
    if (absl::Status s = WriteAll(fd, kMagic, path); !s.ok()) return fail(s);
    if (Sync(fd, /*data_only=*/true, on_sync) != 0) return fail(Errno("fdatasync", path));
    if (!existed) {
      if (absl::Status s = SyncParentDirectory(path, on_sync); !s.ok()) return fail(s);
    }
    return JournalPtr(new Journal(path, fd, kMagic.size(), std::move(on_sync)));
  }
  if (std::string_view(*data).substr(0, kMagic.size()) != kMagic) {
    return fail(absl::DataLossError(StrCat(path, ": not a Vetrina journal")));
  }

  size_t offset = kMagic.size();
  while (offset < data->size()) {
    const size_t remaining = data->size() - offset;
    bool intact = remaining >= kFrameHeader;
    uint32_t length = 0;
    if (intact) {
      length = GetU32(data->data() + offset);
      intact = length <= kMaxRecordBytes && remaining - kFrameHeader >= length &&
               Crc(std::string_view(*data).substr(offset + kFrameHeader, length)) ==
                   GetU32(data->data() + offset + 4);
    }
    if (!intact) {
      // Only the last append can be torn: a frame that runs past the end of the file, or whose
      // payload fails its CRC and ends exactly at the end. Anything else is damage.
      const bool runs_past_end =
          remaining < kFrameHeader ||
          (length > kMaxRecordBytes ? remaining <= kFrameHeader + kMaxRecordBytes
                                    : remaining - kFrameHeader < length);
      const bool ends_at_end =
          !runs_past_end && length <= kMaxRecordBytes && remaining - kFrameHeader == length;
      if (!runs_past_end && !ends_at_end) {
        return fail(
            absl::DataLossError(StrCat(path, ": damaged record at offset ", offset, " with ",
                                       remaining, " bytes after it; refusing to drop them")));
      }
      st.torn_tail_bytes = remaining;
      if (::ftruncate(fd, static_cast<off_t>(offset)) != 0) return fail(Errno("truncate", path));
      if (Sync(fd, /*data_only=*/true, on_sync) != 0) return fail(Errno("fdatasync", path));
      break;
    }
    if (absl::Status s = replay(std::string_view(*data).substr(offset + kFrameHeader, length));
        !s.ok()) {
      return fail(absl::Status(
          s.code(), StrCat(path, ": record at offset ", offset, ": ", View(s.message()))));
    }
    ++st.records;
    offset += kFrameHeader + length;
  }
  st.bytes = offset;
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) return fail(Errno("seek", path));
  return JournalPtr(new Journal(path, fd, offset, std::move(on_sync)));
}

absl::Status Journal::Reload(const ReplayFn& replay) {
  std::string data;
  {
    absl::MutexLock lock(&mu_);
    data.resize(size_);
    if (::pread(fd_, data.data(), size_, 0) != static_cast<ssize_t>(size_)) {
      return Errno("read", path_);
    }
  }
  // Everything up to size_ was checked by Open or written by this process: whole frames.
  for (size_t offset = kMagic.size(); offset < data.size();) {
    const uint32_t length = GetU32(data.data() + offset);
    if (data.size() - offset < kFrameHeader + size_t{length}) {
      return absl::DataLossError(StrCat(path_, ": changed under this process at ", offset));
    }
    VETRINA_RETURN_IF_ERROR(replay(std::string_view(data).substr(offset + kFrameHeader, length)));
    offset += kFrameHeader + length;
  }
  return absl::OkStatus();
}

Journal::~Journal() { ::close(fd_); }

absl::Status Journal::Append(std::string_view record) {
  if (record.size() > kMaxRecordBytes) {
    return absl::InvalidArgumentError("journal record too large");
  }
  const std::string frame = Frame(record);
  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  if (absl::Status s = WriteAll(fd_, frame, path_); !s.ok()) {
    // Leave no partial frame behind for the next append to follow.
    (void)::ftruncate(fd_, static_cast<off_t>(size_));
    (void)::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    return s;
  }
  if (Sync(fd_, /*data_only=*/true, on_sync_) != 0) {
    // The frame may or may not be on disk: take it back out, and refuse every later append,
    // since the file's state is no longer known.
    absl::Status s = Errno("fdatasync", path_);
    (void)::ftruncate(fd_, static_cast<off_t>(size_));
    (void)::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    failed_ = s;
    return s;
  }
  size_ += frame.size();
  return absl::OkStatus();
}

absl::Status Journal::Rewrite(const std::vector<std::string>& records) {
  std::string contents(kMagic);
  for (const std::string& r : records) contents += Frame(r);
  absl::MutexLock lock(&mu_);
  VETRINA_RETURN_IF_ERROR(WriteFileAtomically(path_, contents, 0600, on_sync_));
  int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("reopen", path_);
  if (::lseek(fd, 0, SEEK_END) < 0) {
    ::close(fd);
    return Errno("seek", path_);
  }
  ::close(fd_);
  fd_ = fd;
  size_ = contents.size();
  return absl::OkStatus();
}

size_t Journal::size_bytes() const {
  absl::MutexLock lock(&mu_);
  return size_;
}

}  // namespace vetrina::storage
