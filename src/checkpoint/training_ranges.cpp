#include "checkpoint/training_ranges.h"

#include <algorithm>
#include <cmath>

#include "checkpoint/container.h"
#include "losses/loss.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

class Ranges {
 public:
  explicit Ranges(const Contents &c) : c_(c) {}

  [[noreturn]] void bad(const std::string &field, const std::string &what) const {
    fail(NNSTATE_ERR_CORRUPT, describe_file(c_.file) + ": manifest " + field + ": " + what);
  }
  // `value` in [low, high], where `high_name` says what bounds it ("epoch 3").
  void within(const std::string &field, int64_t value, int64_t low, int64_t high,
              const std::string &high_name = "") const {
    if (value < low || value > high) {
      bad(field, std::to_string(value) + " is outside [" + std::to_string(low) + ", " +
                     (high_name.empty() ? std::to_string(high) : high_name) + "]");
    }
  }
  // A learning rate: finite and >= 0.
  void rate(const std::string &field, double value) const {
    if (!(std::isfinite(value) && value >= 0.0)) {
      bad(field, std::to_string(value) + " is not a finite rate >= 0");
    }
  }
  void known_monitor(const std::string &field, const std::string &name) const {
    if (!is_history_metric(name)) {
      bad(field, "\"" + name + "\" is not a metric (loss, accuracy, val_loss, val_accuracy, lr)");
    }
  }

  void optimizer() const {
    for (size_t i = 0; i < c_.param_states.size(); ++i) {
      within("optimizer.params[" + std::to_string(i) + "].step", c_.param_states[i].step, 0,
             kMaxCounter, "2^53");
    }
  }

  void scheduler() const {
    if (!c_.has_scheduler) return;
    const SchedulerState &s = c_.scheduler_state;
    const SchedulerConfig &k = c_.scheduler;
    if (k.kind == SchedulerKind::reduce_on_plateau || !c_.scheduler_monitor.empty()) {
      known_monitor("scheduler.monitor", c_.scheduler_monitor);
    }
    // The trainer builds its scheduler, which steps once at construction (last_epoch 0) and
    // then once per epoch, or per batch.
    int64_t steps = kMaxCounter;
    std::string steps_name = "2^53";
    if (c_.has_trainer) {
      steps = k.per_batch ? c_.trainer.global_step : c_.trainer.epoch;
      steps_name =
          (k.per_batch ? "trainer.global_step " : "trainer.epoch ") + std::to_string(steps);
    }
    within("scheduler.last_epoch", s.last_epoch, c_.has_trainer ? 0 : -1, steps, steps_name);
    within("scheduler.num_bad_epochs", s.num_bad_epochs, 0, steps, steps_name);
    within("scheduler.cooldown_counter", s.cooldown_counter, 0, k.cooldown,
           "scheduler.cooldown " + std::to_string(k.cooldown));
    // 1.3: rates a resumed schedule multiplies and compares (validate_scheduler_config checked
    // the min_lr values' sign).
    for (size_t i = 0; i < s.group_base_lrs.size(); ++i) {
      rate("scheduler.group_base_lr[" + std::to_string(i) + "]", s.group_base_lrs[i]);
    }
    for (size_t i = 0; i < k.group_min_lr.size(); ++i) {
      rate("scheduler.group_min_lr[" + std::to_string(i) + "]", k.group_min_lr[i]);
    }
  }

  void early_stopping() const {
    if (!c_.has_early_stopping) return;
    known_monitor("early_stopping.monitor", c_.early_stopping.monitor);
    const EarlyStoppingState &s = c_.early_stopping_state;
    // Epochs are counted from 0 and waited once per completed epoch.
    const int64_t epochs = c_.has_trainer ? c_.trainer.epoch : kMaxCounter;
    const std::string name =
        c_.has_trainer ? "trainer.epoch " + std::to_string(epochs) : std::string("2^53");
    within("early_stopping.wait", s.wait, 0, epochs, name);
    within("early_stopping.best_epoch", s.best_epoch, 0, epochs, name);
    within("early_stopping.stopped_epoch", s.stopped_epoch, 0, epochs, name);
  }

  void trainer(const Shape &sample_output) const {
    if (!c_.has_trainer) return;
    const TrainerState &t = c_.trainer;
    within("trainer.epochs", c_.trainer_epochs, 0, kMaxCounter, "2^53");
    within("trainer.batch_size", c_.trainer_batch_size, 1, kMaxCounter, "2^53");
    within("trainer.epoch", t.epoch, 0, kMaxCounter, "2^53");
    within("trainer.global_step", t.global_step, 0, kMaxCounter, "2^53");
    within("trainer.batch_in_epoch", t.batch_in_epoch, 0, t.global_step,
           "trainer.global_step " + std::to_string(t.global_step));
    if (t.epoch > 0) {
      // Every completed epoch had the same number of batches, and the current one has no more.
      const int64_t done = t.global_step - t.batch_in_epoch;
      if (done % t.epoch != 0 || t.batch_in_epoch > done / t.epoch) {
        bad("trainer.batch_in_epoch",
            std::to_string(t.batch_in_epoch) + " with global_step " +
                std::to_string(t.global_step) + " after " + std::to_string(t.epoch) +
                " epochs: not a position of epochs with equally many batches");
      }
    }
    // Samples of the current epoch: full batches, the last one possibly partial.
    const int64_t batch = c_.trainer_batch_size, done = t.batch_in_epoch;
    int64_t high = 0;
    if (__builtin_mul_overflow(done, batch, &high)) {
      bad("trainer.batch_in_epoch", std::to_string(done) + " batches of " + std::to_string(batch) +
                                        " samples overflow 64 bits");
    }
    const int64_t low = done == 0 ? 0 : high - batch + 1;
    within("trainer.epoch_samples", t.epoch_samples, low, high,
           std::to_string(done) + " batches of " + std::to_string(batch));
    // Predictions judged for accuracy: one per sample (cross-entropy), one per output
    // (BCE with logits), none (MSE).
    int64_t judged_max = t.epoch_samples;
    if (c_.loss == static_cast<int32_t>(LossKind::mse)) {
      judged_max = 0;
    } else if (c_.loss != static_cast<int32_t>(LossKind::cross_entropy) && sample_output.rank > 0 &&
               __builtin_mul_overflow(t.epoch_samples, sample_output.numel(), &judged_max)) {
      judged_max = INT64_MAX;
    }
    within("trainer.epoch_judged", t.epoch_judged, 0, judged_max,
           std::to_string(judged_max) + " for " + std::to_string(t.epoch_samples) + " samples");
    within("trainer.epoch_correct", t.epoch_correct, 0, t.epoch_judged,
           "epoch_judged " + std::to_string(t.epoch_judged));
    protection();
    for (size_t i = 0; i < t.history.size(); ++i) {
      if (t.history[i].epoch != static_cast<int64_t>(i)) {
        bad("trainer.history[" + std::to_string(i) + "].epoch",
            std::to_string(t.history[i].epoch) + ", expected " + std::to_string(i));
      }
    }
  }

 private:
  // 1.2: accumulation and rollback counters against the position.
  void protection() const {
    const TrainerState &t = c_.trainer;
    const std::string steps = "trainer.global_step " + std::to_string(t.global_step);
    within("trainer.accumulate_steps", c_.trainer_accumulate_steps, 1, kMaxCounter, "2^53");
    within("trainer.deterministic_chunk_size", c_.trainer_deterministic_chunk_size, 0,
           int64_t{1} << 30, "2^30");
    within("trainer.micro_in_group", t.micro_in_group, 0,
           std::min(c_.trainer_accumulate_steps - 1, t.batch_in_epoch),
           "accumulate_steps - 1 and batch_in_epoch");
    within("trainer.optimizer_steps", t.optimizer_steps, 0, t.global_step, steps);
    within("trainer.epoch_skipped", t.epoch_skipped, 0, t.epoch_samples,
           "epoch_samples " + std::to_string(t.epoch_samples));
    const RollbackConfig &k = c_.trainer_rollback;
    if (!k.enabled) return;
    within("trainer.rollback.max_rollbacks", k.max_rollbacks, 0, kMaxCounter, "2^53");
    within("trainer.rollback.skip_batches", k.skip_batches, 1, kMaxCounter, "2^53");
    within("trainer.rollback.snapshot_every", k.snapshot_every, 1, kMaxCounter, "2^53");
    within("trainer.rollback.skip_remaining", t.skip_remaining, 0, k.skip_batches - 1,
           "skip_batches - 1");
    within("trainer.rollback.loss_count", t.loss_count, 0, t.global_step, steps);
    within("trainer.rollback.snapshot_step", t.snapshot_step, -1, t.optimizer_steps,
           "trainer.optimizer_steps " + std::to_string(t.optimizer_steps));
    within("trainer.rollback.events", static_cast<int64_t>(t.rollbacks.size()), 0,
           std::min(k.max_rollbacks + 1, t.global_step), "max_rollbacks + 1 and global_step");
    for (size_t i = 0; i < t.rollbacks.size(); ++i) {
      const RollbackEvent &e = t.rollbacks[i];
      const std::string f = "trainer.rollback.events[" + std::to_string(i) + "].";
      within(f + "epoch", e.epoch, 0, t.epoch, "trainer.epoch " + std::to_string(t.epoch));
      within(f + "global_step", e.global_step, 1, t.global_step, steps);
      within(f + "batch", e.batch, 1, e.global_step, "its global_step");
      within(f + "restored_step", e.restored_step, -1, t.optimizer_steps,
             "trainer.optimizer_steps " + std::to_string(t.optimizer_steps));
      // Only the last event can end the run, and a run that ended has one.
      const bool last = i + 1 == t.rollbacks.size();
      if (e.gave_up != (last && t.diverged)) {
        bad(f + "gave_up", std::string(e.gave_up ? "set" : "not set") + " with diverged " +
                               (t.diverged ? "set" : "not set"));
      }
    }
    if (t.diverged && t.rollbacks.empty()) bad("trainer.rollback.diverged", "set without events");
  }

  const Contents &c_;
};

}  // namespace

void check_training_ranges(const Contents &c, const Shape &sample_output) {
  const Ranges r(c);
  r.optimizer();
  r.trainer(sample_output);
  r.scheduler();
  r.early_stopping();
}

}  // namespace nnstate::checkpoint
