// Every connection is a file descriptor: a server or load generator holding thousands of them
// needs more than the usual soft limit of 1024.
//
//   int limit = RaiseDescriptorLimit(20'000);  // the limit now in force, maybe less than asked
#pragma once

namespace vetrina::http {

// Raises the soft open-file limit toward `wanted` (never above the hard limit); returns the
// limit now in force.
int RaiseDescriptorLimit(int wanted);

}  // namespace vetrina::http
