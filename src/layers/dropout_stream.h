// Where a dropout layer's random draws come from, so that the masks depend only on the global
// sample index: a pass over a chunk of a batch (chunked training) draws what the whole batch's
// pass would draw for those samples, and every chunk leaves the shared stream where the whole
// batch's pass leaves it.
#pragma once

#include <cstdint>

#include "layers/layer.h"
#include "random/rng.h"

namespace nnstate {

// The stream for this pass's `batch` samples, `draws_per_sample` draws each, in sample order;
// advances *context.dropout_rng past the draws of the whole (global) batch.
Rng dropout_draws(const RunContext &context, int64_t batch, int64_t draws_per_sample);

}  // namespace nnstate
