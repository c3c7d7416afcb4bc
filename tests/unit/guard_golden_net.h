// The run of the golden format 1.2 trainer checkpoint (tests/data/v1/guarded_trainer.nnst):
// the clipping references' MLP (small_mlp.h) trained with clipping, accumulation over 3
// micro-batches and divergence rollback on 24 samples, one of them with a NaN target; the file
// is saved mid-accumulation after two rollbacks (the second epoch).
#pragma once

#include <limits>

#include "small_mlp.h"

namespace guard_golden {

inline nnstate::TrainerConfig config(int64_t epochs) {
  nnstate::TrainerConfig c;
  c.epochs = epochs;
  c.batch_size = 2;
  c.accumulate_steps = 3;
  c.clip.max_norm = 0.5;
  c.clip.clip_value = 0.25;
  c.rollback.enabled = true;
  c.rollback.snapshot_every = 2;
  c.rollback.max_rollbacks = 5;
  return c;
}

struct Data : nnstate::testing::ClipData {
  Data() : ClipData(24) { y[2 * 13 + 1] = std::numeric_limits<float>::quiet_NaN(); }
};

// Stops the run after the first batch that leaves an unfinished group after two rollbacks.
struct StopMidGroup : nnstate::TrainerObserver {
  void after_batch(nnstate::Trainer &trainer) override {
    const nnstate::TrainerState &s = trainer.state();
    if (s.rollbacks.size() >= 2 && s.micro_in_group > 0) trainer.request_stop();
  }
};

}  // namespace guard_golden
