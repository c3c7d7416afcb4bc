// Divergence rollback: when a training loss is NaN or infinite (or, optionally, a spike over its
// recent average), the trainer puts back the model state of its last good snapshot, multiplies
// the learning rate by a factor, skips the offending batch (and optionally more), records the
// event and goes on; after max_rollbacks it ends the run instead (StopReason::diverged).
// The snapshot is a copy of every network tensor (parameters and buffers) and of the optimizer's
// state (tensors and steps), taken every snapshot_every optimizer steps when all of it is finite;
// it, the counters and the events are checkpointed, so a resumed run rolls back as the
// uninterrupted one would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nnstate {

class Model;

struct RollbackConfig {
  bool enabled = false;
  int64_t max_rollbacks = 3;    // the next divergence after this many ends the run
  double lr_factor = 0.5;       // the rate is multiplied by this at every rollback, in (0, 1]
  int64_t skip_batches = 1;     // batches skipped at a rollback, the offending one included
  int64_t snapshot_every = 50;  // optimizer steps between snapshots (and one when fit starts)
  double spike_factor = 0.0;    // > 1: also roll back when loss > factor * recent average; 0 off
};

// The recent average of the spike test: an exponential moving average of accepted micro-batch
// losses with this weight of the newest, consulted once this many losses are in.
constexpr double kLossAverageWeight = 0.1;
constexpr int64_t kLossAverageWarmup = 10;

// Throws INVALID_ARGUMENT naming the field.
void validate_rollback_config(const RollbackConfig &config);

// Why the trainer rolled back. Persisted in checkpoints: append only.
enum class DivergenceReason : int32_t {
  nonfinite_loss = 0,
  loss_spike = 1,
  nonfinite_grad_norm = 2,  // clip_grad_norm's total norm was NaN or infinite
};
const char *divergence_reason_name(DivergenceReason reason);

struct RollbackEvent {
  int64_t epoch = 0;          // 0-based epoch of the offending batch
  int64_t batch = 0;          // its 1-based number in the epoch
  int64_t global_step = 0;    // batches completed in the run, the offending one included
  int64_t restored_step = 0;  // optimizer steps done when the restored snapshot was taken
  double loss = 0.0;          // the offending loss
  double lr = 0.0;            // the rate after the event (unchanged when the run gave up)
  DivergenceReason reason = DivergenceReason::nonfinite_loss;
  bool gave_up = false;  // max_rollbacks were used up: the run ended here
};

// The copy of the model state a rollback restores. Its storage is allocated on first use and
// reused; the model's tensors are walked anew every time, so an optimizer replaced by a
// checkpoint load is copied correctly.
class ModelSnapshot {
 public:
  // Copies the model's state in, unless any value is NaN or infinite (then keeps the old copy
  // and returns false).
  bool take(Model &model);
  // Copies the snapshot back into the model. Requires a snapshot.
  void restore(Model &model);

  // The copies and the names of what they copy: the network tensors' and
  // "optimizer.<param>.<state>", in the model's order. prepare() first sizes the storage for
  // `model` (what a loader then fills); entries() lists a snapshot as it is (for a save).
  struct Entry {
    std::string name;
    Tensor *copy;
  };
  std::vector<Entry> prepare(Model &model);
  struct ConstEntry {
    std::string name;
    const Tensor *copy;
  };
  std::vector<ConstEntry> entries(Model &model) const;
  // The optimizer's per-parameter steps at the snapshot, in the optimizer's order.
  std::vector<int64_t> &steps() { return steps_; }
  const std::vector<int64_t> &steps() const { return steps_; }

 private:
  std::vector<Tensor> copies_;
  std::vector<int64_t> steps_;
};

}  // namespace nnstate
