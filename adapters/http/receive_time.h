// Reads from a TCP socket and learns when the kernel received the bytes (SO_TIMESTAMPNS), so a
// request's age counts the time it waited in the socket queue before we got to it. Under
// overload that wait is most of a late request's age, and a deadline measured from our own read
// would never see it.
//
//   EnableReceiveTimestamps(listen_fd);  // accepted sockets inherit it
//   ReceiveResult got = ReceiveNow(fd, data, size);
//   if (got.bytes > 0 && got.received) age = absl::Now() - *got.received;
//
// POSIX only: no Asio here, so the server and the load generator can both use it.
#pragma once

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace vetrina::http {

// Asks the kernel to stamp what this socket (or, on a listener, every socket it accepts)
// receives. The kernel may start stamping a moment later; reads until then carry no stamp.
absl::Status EnableReceiveTimestamps(int fd);

struct ReceiveResult {
  // > 0: bytes read; 0: the peer closed; -1: nothing read, see error_number.
  long bytes = -1;
  int error_number = 0;  // EAGAIN/EWOULDBLOCK when nothing is waiting
  // Wall-clock time the kernel received the last segment this read took (so never older than
  // the oldest byte): absent when the socket has no stamps.
  std::optional<absl::Time> received;

  bool would_block() const;
};

// One non-blocking recvmsg into [data, data + size); never waits.
ReceiveResult ReceiveNow(int fd, void* data, size_t size);

}  // namespace vetrina::http
