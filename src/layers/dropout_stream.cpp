#include "layers/dropout_stream.h"

#include "util/error.h"

namespace nnstate {

Rng dropout_draws(const RunContext &context, int64_t batch, int64_t draws_per_sample) {
  Rng &shared = *context.dropout_rng;
  const bool chunk = context.global_batch > 0;
  const int64_t first = chunk ? context.chunk_first : 0;
  const int64_t total = chunk ? context.global_batch : batch;
  int64_t skipped = 0, advanced = 0;
  if (first < 0 || batch < 0 || first > total - batch || draws_per_sample < 0 ||
      __builtin_mul_overflow(first, draws_per_sample, &skipped) ||
      __builtin_mul_overflow(total, draws_per_sample, &advanced)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "dropout draws of samples [" + std::to_string(first) +
                                           ", +" + std::to_string(batch) + ") of a batch of " +
                                           std::to_string(total) + " are out of range");
  }
  Rng local = shared;
  local.skip(static_cast<uint64_t>(skipped));
  shared.skip(static_cast<uint64_t>(advanced));
  return local;
}

}  // namespace nnstate
