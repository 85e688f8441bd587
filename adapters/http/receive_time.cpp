#include "adapters/http/receive_time.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "base/strings.h"

namespace vetrina::http {

absl::Status EnableReceiveTimestamps(int fd) {
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
    return absl::InternalError(StrCat("SO_TIMESTAMPNS: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool ReceiveResult::would_block() const {
  return bytes < 0 && (error_number == EAGAIN || error_number == EWOULDBLOCK);
}

ReceiveResult ReceiveNow(int fd, void* data, size_t size) {
  iovec vector{data, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ReceiveResult result;
  do {
    result.bytes = recvmsg(fd, &message, MSG_DONTWAIT);
  } while (result.bytes < 0 && errno == EINTR);
  if (result.bytes < 0) {
    result.error_number = errno;
    return result;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec stamp;
      std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
      result.received = absl::TimeFromTimespec(stamp);
    }
  }
  return result;
}

}  // namespace vetrina::http
