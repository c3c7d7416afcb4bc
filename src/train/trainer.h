// The training loop: epochs of shuffled mini-batches, validation, history, a learning-rate
// schedule and early stopping. Everything it needs to continue -- position inside the epoch,
// the shuffle stream at the epoch's start, partial sums of the epoch's metrics, history,
// scheduler and early-stopping state -- lives in TrainerState and its two components, so a run
// restored from a checkpoint taken at any batch boundary continues bit for bit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "callbacks/early_stopping.h"
#include "random/rng.h"
#include "schedule/lr_scheduler.h"
#include "tensor/tensor_ref.h"
#include "train/dataset.h"
#include "train/grad_accumulator.h"
#include "train/grad_clip.h"
#include "train/history.h"
#include "train/model.h"
#include "train/rollback.h"

namespace nnstate {

struct TrainerConfig {
  int64_t epochs = 1;
  int64_t batch_size = 32;
  bool shuffle = true;
  bool drop_last = false;                      // drop the last incomplete batch of each epoch
  SchedulerConfig scheduler;                   // kind none: constant learning rate
  std::string scheduler_monitor = "val_loss";  // ReduceLROnPlateau's metric
  bool early_stopping = false;
  EarlyStoppingConfig early_stopping_config;
  GradClipConfig clip;  // applied to the gradients before every optimizer step
  // Micro-batches (of batch_size) whose gradients are summed into one optimizer step, each
  // micro-batch's loss scaled by 1/accumulate_steps (PyTorch's loss / K; backward). An epoch's
  // last, incomplete group steps at the epoch's end with what it has, still scaled by 1/K. The
  // per-batch scheduler steps once per optimizer step; BatchNorm sees each micro-batch.
  int64_t accumulate_steps = 1;
  RollbackConfig rollback;
};

struct TrainerState {
  int64_t epoch = 0;            // epochs completed
  int64_t global_step = 0;      // batches completed over all epochs
  int64_t batch_in_epoch = 0;   // batches completed in the current epoch
  RngState epoch_shuffle_rng;   // the shuffle stream at the start of the current epoch
  double epoch_loss_sum = 0.0;  // sum of batch loss * batch samples, current epoch
  int64_t epoch_samples = 0;
  int64_t epoch_correct = 0;
  int64_t epoch_judged = 0;    // predictions judged for accuracy
  double epoch_seconds = 0.0;  // wall time spent in the current epoch so far
  bool stopped_early = false;  // early stopping ended the run: fit() does nothing more
  std::vector<HistoryRow> history;
  // Gradient accumulation: micro-batches of the current group already summed (their sums are
  // the trainer's accumulator), and optimizer steps taken over the run.
  int64_t micro_in_group = 0;
  int64_t optimizer_steps = 0;
  // Divergence rollback.
  int64_t epoch_skipped = 0;   // samples of the current epoch skipped (not trained on)
  int64_t skip_remaining = 0;  // batches still to skip after a rollback
  double loss_average = 0.0;   // recent average of accepted losses (the spike test)
  int64_t loss_count = 0;      // losses in that average
  int64_t snapshot_step = -1;  // optimizer_steps when the snapshot was taken; -1: none
  bool diverged = false;       // max_rollbacks were used up: fit() does nothing more
  std::vector<RollbackEvent> rollbacks;
};

struct BatchInfo {
  int64_t epoch = 0;  // 0-based
  int64_t batch = 0;  // batches done in this epoch, including this one
  int64_t batches_per_epoch = 0;
  int64_t global_step = 0;
  double loss = 0.0;
  int64_t samples = 0;
  // The total gradient norm before clip_grad_norm scaled it, of the update this batch ended;
  // NaN without norm clipping or when the batch made no update.
  double grad_norm = 0.0;
  int64_t optimizer_steps = 0;  // updates done in the run, this batch's included
  bool skipped = false;         // the batch was not trained on (divergence rollback)
};

// Hooks into the loop. Returning false from on_batch_end / on_epoch_end interrupts training at
// that boundary, resumably (like request_stop(); early stopping's on_train_end does not run).
// Checkpoint policies implement after_batch / after_epoch, which run once the state is consistent
// (scheduler stepped, history appended).
class TrainerObserver {
 public:
  virtual ~TrainerObserver() = default;
  virtual bool on_batch_end(const BatchInfo &info) {
    (void)info;
    return true;
  }
  virtual bool on_epoch_end(const HistoryRow &row) {
    (void)row;
    return true;
  }
  virtual void after_batch(class Trainer &trainer) { (void)trainer; }
  virtual void after_epoch(class Trainer &trainer) { (void)trainer; }
  // The run is ending (any reason): a policy saves its "on stop" checkpoint here.
  virtual void on_stop(class Trainer &trainer) { (void)trainer; }
};

enum class StopReason : int32_t {
  completed = 0,       // config.epochs epochs are done
  early_stopping = 1,  // the early-stopping rule fired (now or in an earlier run)
  requested = 2,       // request_stop() or a callback returned false
  diverged = 3,        // the loss diverged after max_rollbacks rollbacks (now or earlier)
};

class Trainer {
 public:
  // The model must have a loss and an optimizer. The scheduler attaches to the optimizer now.
  Trainer(Model &model, const TrainerConfig &config);

  StopReason fit(const Dataset &train, const Dataset *validation, TrainerObserver *observer);
  // Thread-safe: training stops at the next batch boundary.
  void request_stop() { stop_requested_.store(true); }
  // The total the run trains to; a finished run continues to the new total at the next fit.
  void set_epochs(int64_t epochs);
  // Clipping and accumulation as in TrainerConfig, between fits (e.g. before a resume, which
  // requires the saved run's settings). Throws STATE when a new accumulate_steps would break an
  // unfinished group.
  void set_step_options(const GradClipConfig &clip, int64_t accumulate_steps);
  // ReduceLROnPlateau's per-group min_lr (SchedulerConfig::group_min_lr), between fits.
  void set_group_min_lr(std::vector<double> values);
  // Re-reads the model's trainable parameters (after its frozen set changed, e.g. by a load):
  // clipping and accumulation follow them. fit() calls it. Throws STATE while an accumulation
  // group is unfinished and the set differs.
  void refresh_parameters();
  // Divergence rollback as in TrainerConfig, between fits. A run that enables it gets its
  // first snapshot when the next fit starts.
  void set_rollback(const RollbackConfig &rollback);

  Model &model() { return model_; }
  const Model &model() const { return model_; }
  const TrainerConfig &config() const { return config_; }
  TrainerState &state() { return state_; }
  const TrainerState &state() const { return state_; }
  LrScheduler *scheduler() { return scheduler_.get(); }
  const LrScheduler *scheduler() const { return scheduler_.get(); }
  EarlyStopping *early_stopping() { return early_stopping_.get(); }
  const EarlyStopping *early_stopping() const { return early_stopping_.get(); }
  // The sums of the current accumulation group (meaningful while state().micro_in_group > 0).
  GradAccumulator &accumulator() { return accumulator_; }
  const GradAccumulator &accumulator() const { return accumulator_; }
  // The rollback snapshot (meaningful while state().snapshot_step >= 0).
  ModelSnapshot &snapshot() { return snapshot_; }
  const ModelSnapshot &snapshot() const { return snapshot_; }

 private:
  void check_datasets(const Dataset &train, const Dataset *validation) const;
  void check_position(int64_t samples, int64_t batches) const;
  void shuffle_into(std::vector<int64_t> &order, int64_t samples);
  // Trains on (or skips) one micro-batch; false when the run has to stop (diverged).
  bool run_batch(const Dataset &train, const std::vector<int64_t> &order, int64_t start,
                 int64_t count, bool last_of_epoch);
  // Clipping, the optimizer's step, a per-batch scheduler's step and the periodic snapshot;
  // false when the gradient norm diverged instead.
  bool update();
  // Whether `loss` (of an accepted forward pass) calls for a rollback, and why.
  bool diverges(float loss, DivergenceReason &reason) const;
  // Restores the snapshot, lowers the rate, starts skipping; false when rollbacks are used up.
  bool roll_back(float loss, DivergenceReason reason);
  void skip_batch(int64_t count);
  void evaluate(const Dataset &data, HistoryRow &row);
  // Closes the epoch: history row, callbacks, early stopping, scheduler. Returns the reason to
  // stop, or completed to go on.
  bool finish_epoch(const Dataset *validation, TrainerObserver *observer, StopReason &reason);

  Model &model_;
  TrainerConfig config_;
  TrainerState state_;
  std::unique_ptr<LrScheduler> scheduler_;
  std::unique_ptr<EarlyStopping> early_stopping_;
  std::atomic<bool> stop_requested_{false};
  std::vector<float> batch_inputs_, batch_targets_;
  std::vector<TensorRef> params_;  // the trainable parameters, for clipping and accumulation
  double last_grad_norm_ = 0.0;    // of the last update, for BatchInfo
  bool last_skipped_ = false;      // the last batch was skipped, for BatchInfo
  GradAccumulator accumulator_;
  ModelSnapshot snapshot_;
  RngState shuffle_rng_after_epoch_;  // derived from epoch_shuffle_rng by shuffle_into()
};

}  // namespace nnstate
