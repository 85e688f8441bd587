// Status propagation macros. Debian's Abseil (20220623) ships no status macros, so we define ours
// once here, in the spirit of the Privacy Sandbox servers' PS_RETURN_IF_ERROR.
//
//   absl::Status Load() {
//     VETRINA_RETURN_IF_ERROR(Open());
//     VETRINA_ASSIGN_OR_RETURN(auto rows, ReadRows());
//     ...
//   }
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define VETRINA_RETURN_IF_ERROR(expr)                                     \
  do {                                                                    \
    if (::absl::Status vetrina_status_ = (expr); !vetrina_status_.ok()) { \
      return vetrina_status_;                                             \
    }                                                                     \
  } while (false)

#define VETRINA_STATUS_CONCAT_INNER(a, b) a##b
#define VETRINA_STATUS_CONCAT(a, b) VETRINA_STATUS_CONCAT_INNER(a, b)

#define VETRINA_ASSIGN_OR_RETURN(lhs, rexpr) \
  VETRINA_ASSIGN_OR_RETURN_IMPL(VETRINA_STATUS_CONCAT(vetrina_statusor_, __LINE__), lhs, rexpr)

#define VETRINA_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()
