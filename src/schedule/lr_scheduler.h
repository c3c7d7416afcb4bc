// Learning-rate schedules with PyTorch 1.13 semantics (torch.optim.lr_scheduler): StepLR,
// MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR and ReduceLROnPlateau. The epoch-based
// kinds use PyTorch's recursive ("chainable") update of the current rate, computed in double as
// Python does, so sequences match PyTorch's. All state is a plain struct, checkpointed whole.
#pragma once

#include <cstdint>
#include <vector>

namespace nnstate {

class Optimizer;

// Persisted in checkpoints and the C API: append only.
enum class SchedulerKind : int32_t {
  none = 0,
  step = 1,
  multi_step = 2,
  exponential = 3,
  cosine_annealing = 4,
  linear = 5,
  reduce_on_plateau = 6,
};

enum class PlateauMode : int32_t { min = 0, max = 1 };
enum class ThresholdMode : int32_t { rel = 0, abs = 1 };

const char *scheduler_kind_name(SchedulerKind kind);

struct SchedulerConfig {
  SchedulerKind kind = SchedulerKind::none;
  bool per_batch = false;  // step after every batch instead of every epoch (not for plateau)
  // StepLR: step_size, gamma. MultiStepLR: milestones, gamma. ExponentialLR: gamma.
  int64_t step_size = 1;
  std::vector<int64_t> milestones;
  double gamma = 0.1;
  // CosineAnnealingLR
  int64_t t_max = 1;
  double eta_min = 0.0;
  // LinearLR
  double start_factor = 1.0 / 3.0;
  double end_factor = 1.0;
  int64_t total_iters = 5;
  // ReduceLROnPlateau
  PlateauMode mode = PlateauMode::min;
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::rel;
  int64_t cooldown = 0;
  double min_lr = 0.0;  // the default group's, and every group's when group_min_lr is empty
  double eps = 1e-8;
  // ReduceLROnPlateau's min_lr of each parameter group (torch's min_lr list), group k at [k];
  // empty: min_lr for all. Its length must equal the optimizer's groups (without the default).
  std::vector<double> group_min_lr;
};

// Throws Error with PyTorch's rules (factor < 1, positive T_max and step_size, ...).
void validate_scheduler_config(const SchedulerConfig &config);

struct SchedulerState {
  int64_t last_epoch = -1;  // PyTorch's last_epoch: steps taken (0 after construction)
  double base_lr = 0.0;     // the optimizer's rate when the scheduler was attached
  // The same of each parameter group (torch's per-group initial_lr), group k at [k].
  std::vector<double> group_base_lrs;
  // ReduceLROnPlateau
  double best = 0.0;
  int64_t num_bad_epochs = 0;
  int64_t cooldown_counter = 0;
};

class LrScheduler {
 public:
  // Reads the base rate from `optimizer` and, like PyTorch's constructors, takes the initial
  // step (so LinearLR scales the rate by start_factor right away). The scheduler keeps no
  // reference: each step is given the optimizer whose rate it sets, so a model whose optimizer
  // was replaced (e.g. by loading a checkpoint) is scheduled correctly.
  LrScheduler(const SchedulerConfig &config, Optimizer &optimizer);

  const SchedulerConfig &config() const { return config_; }
  const SchedulerState &state() const { return state_; }
  // ReduceLROnPlateau's per-group min_lr (SchedulerConfig::group_min_lr), checked against
  // `optimizer`'s groups; throws STATE for another kind.
  void set_group_min_lr(std::vector<double> values, const Optimizer &optimizer);
  // Replaces the state, e.g. from a checkpoint (the optimizer's rate is restored separately).
  void restore(const SchedulerState &state) { state_ = state; }

  // Advances an epoch-based schedule by one step and sets the rate of each of the optimizer's
  // groups, as PyTorch's schedulers do for each of param_groups.
  void step(Optimizer &optimizer);
  // ReduceLROnPlateau: one step with the monitored metric.
  void step(Optimizer &optimizer, double metric);

 private:
  double next_lr(double lr, double base_lr) const;
  void check_groups(const Optimizer &optimizer) const;
  bool is_better(double value, double best) const;

  SchedulerConfig config_;
  SchedulerState state_;
};

}  // namespace nnstate
