// Range checks of a checkpoint's training-loop integers, each against its valid range and
// against the other fields (a training position inside the run it describes), so that verify
// and resume refuse what fit() could not have written. Works on validated plain values.
#pragma once

#include "checkpoint/contents.h"

namespace nnstate::checkpoint {

// Counters above this are refused: no run reaches them, and every sum and product of two
// counters below stays exact in int64 and double.
constexpr int64_t kMaxCounter = int64_t{1} << 53;

// Throws Error(CORRUPT) naming the file, the field and the numbers. `sample_output` is the
// shape of one output sample of the architecture (rank 0 when unknown).
void check_training_ranges(const Contents &c, const Shape &sample_output);

}  // namespace nnstate::checkpoint
