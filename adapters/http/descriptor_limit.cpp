#include "adapters/http/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>

namespace vetrina::http {

int RaiseDescriptorLimit(int wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  const rlim_t target = std::min<rlim_t>(static_cast<rlim_t>(wanted), limit.rlim_max);
  if (limit.rlim_cur < target) {
    limit.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, static_cast<rlim_t>(INT32_MAX)));
}

}  // namespace vetrina::http
