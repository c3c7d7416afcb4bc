// A dataset over caller memory. The trainer borrows it: nothing is copied, and the caller keeps
// the arrays alive and unchanged while fit() runs.
#pragma once

#include <cstdint>

namespace nnstate {

struct Dataset {
  const float *inputs = nullptr;   // samples * input_size floats, sample after sample
  const float *targets = nullptr;  // samples * target_size floats (class indices as floats)
  int64_t samples = 0;
  int64_t input_size = 0;
  int64_t target_size = 0;
};

}  // namespace nnstate
