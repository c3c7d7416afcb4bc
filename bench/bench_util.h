// Helpers of the C++ benchmarks: a monotonic clock and exiting on a failed C API call.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "nnstate/nnstate.h"

namespace bench {

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Exits with the library's message when `s` is an error: a benchmark has no recovery.
inline void ok(nnstate_status s, const char *what) {
  if (s != NNSTATE_OK) {
    std::fprintf(stderr, "%s: %s\n", what, nnstate_last_error());
    std::exit(1);
  }
}

}  // namespace bench
