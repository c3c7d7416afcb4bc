#include "schedule/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "optim/optimizer.h"
#include "util/error.h"

namespace nnstate {
namespace {

void require(bool ok, const std::string &message) {
  if (!ok) fail(NNSTATE_ERR_INVALID_ARGUMENT, "invalid scheduler option: " + message);
}

}  // namespace

const char *scheduler_kind_name(SchedulerKind kind) {
  switch (kind) {
    case SchedulerKind::none:
      return "none";
    case SchedulerKind::step:
      return "StepLR";
    case SchedulerKind::multi_step:
      return "MultiStepLR";
    case SchedulerKind::exponential:
      return "ExponentialLR";
    case SchedulerKind::cosine_annealing:
      return "CosineAnnealingLR";
    case SchedulerKind::linear:
      return "LinearLR";
    case SchedulerKind::reduce_on_plateau:
      return "ReduceLROnPlateau";
  }
  return "unknown";
}

void validate_scheduler_config(const SchedulerConfig &c) {
  switch (c.kind) {
    case SchedulerKind::none:
      break;
    case SchedulerKind::step:
      require(c.step_size > 0, "step_size must be positive, got " + std::to_string(c.step_size));
      require(std::isfinite(c.gamma), "gamma must be finite");
      break;
    case SchedulerKind::multi_step:
      require(std::isfinite(c.gamma), "gamma must be finite");
      // As in PyTorch, milestones may come in any order and repeat (gamma applies per copy).
      for (int64_t m : c.milestones) require(m >= 0, "milestones must be >= 0");
      break;
    case SchedulerKind::exponential:
      require(std::isfinite(c.gamma), "gamma must be finite");
      break;
    case SchedulerKind::cosine_annealing:
      require(c.t_max > 0, "T_max must be positive, got " + std::to_string(c.t_max));
      require(std::isfinite(c.eta_min), "eta_min must be finite");
      break;
    case SchedulerKind::linear:
      require(c.start_factor > 0.0 && c.start_factor <= 1.0,
              "start_factor must be in (0, 1], got " + std::to_string(c.start_factor));
      require(c.end_factor >= 0.0 && c.end_factor <= 1.0,
              "end_factor must be in [0, 1], got " + std::to_string(c.end_factor));
      require(c.total_iters > 0, "total_iters must be positive");
      break;
    case SchedulerKind::reduce_on_plateau:
      require(c.factor < 1.0 && c.factor >= 0.0,
              "factor must be in [0, 1), got " + std::to_string(c.factor));
      require(c.mode == PlateauMode::min || c.mode == PlateauMode::max, "mode must be min or max");
      require(c.threshold_mode == ThresholdMode::rel || c.threshold_mode == ThresholdMode::abs,
              "threshold_mode must be rel or abs");
      require(c.patience >= 0 && c.cooldown >= 0, "patience and cooldown must be >= 0");
      require(c.min_lr >= 0.0 && c.eps >= 0.0 && std::isfinite(c.threshold),
              "min_lr and eps must be >= 0, threshold finite");
      require(!c.per_batch, "ReduceLROnPlateau steps once per epoch");
      for (double m : c.group_min_lr) {
        require(m >= 0.0, "every group's min_lr must be >= 0, got " + std::to_string(m));
      }
      break;
    default:
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           "unknown scheduler kind " + std::to_string(static_cast<int32_t>(c.kind)));
  }
}

LrScheduler::LrScheduler(const SchedulerConfig &config, Optimizer &optimizer) : config_(config) {
  validate_scheduler_config(config);
  state_.base_lr = optimizer.lr();
  for (size_t g = 1; g < optimizer.group_count(); ++g) {
    state_.group_base_lrs.push_back(optimizer.group_lr(g));
  }
  check_groups(optimizer);
  if (config.kind == SchedulerKind::reduce_on_plateau) {
    // PyTorch: last_epoch = 0 and best = the worst value of the mode.
    state_.last_epoch = 0;
    state_.best = config.mode == PlateauMode::min ? std::numeric_limits<double>::infinity()
                                                  : -std::numeric_limits<double>::infinity();
  } else if (config.kind != SchedulerKind::none) {
    step(optimizer);  // PyTorch's constructor steps once: last_epoch -1 -> 0
  }
}

void LrScheduler::step(Optimizer &optimizer) {
  if (config_.kind == SchedulerKind::reduce_on_plateau) {
    fail(NNSTATE_ERR_STATE, "ReduceLROnPlateau needs a metric to step");
  }
  if (config_.kind == SchedulerKind::none) return;
  check_groups(optimizer);
  state_.last_epoch += 1;
  for (size_t g = 0; g < optimizer.group_count(); ++g) {
    const double base = g == 0 ? state_.base_lr : state_.group_base_lrs[g - 1];
    optimizer.set_group_lr(g, next_lr(optimizer.group_lr(g), base));
  }
}

void LrScheduler::set_group_min_lr(std::vector<double> values, const Optimizer &optimizer) {
  if (config_.kind != SchedulerKind::reduce_on_plateau) {
    fail(NNSTATE_ERR_STATE, std::string("a per-group min_lr needs ReduceLROnPlateau, not ") +
                                scheduler_kind_name(config_.kind));
  }
  SchedulerConfig next = config_;
  next.group_min_lr = std::move(values);
  validate_scheduler_config(next);
  std::swap(config_, next);
  try {
    check_groups(optimizer);
  } catch (...) {
    std::swap(config_, next);
    throw;
  }
}

// Per-group lists must fit the optimizer it steps (a loaded optimizer may have other groups).
void LrScheduler::check_groups(const Optimizer &optimizer) const {
  const size_t groups = optimizer.group_count() - 1;
  if (state_.group_base_lrs.size() != groups ||
      (!config_.group_min_lr.empty() && config_.group_min_lr.size() != groups)) {
    fail(NNSTATE_ERR_STATE, "the scheduler has " + std::to_string(state_.group_base_lrs.size()) +
                                " param groups' initial rates and " +
                                std::to_string(config_.group_min_lr.size()) +
                                " min_lr values, the optimizer " + std::to_string(groups) +
                                " param groups besides the default one");
  }
}

// The rate after stepping to state_.last_epoch, from the current rate (PyTorch's get_lr()).
double LrScheduler::next_lr(double lr, double base_lr) const {
  const SchedulerConfig &c = config_;
  const int64_t epoch = state_.last_epoch;
  switch (c.kind) {
    case SchedulerKind::step:
      return (epoch == 0 || epoch % c.step_size != 0) ? lr : lr * c.gamma;
    case SchedulerKind::multi_step: {
      int64_t hits = std::count(c.milestones.begin(), c.milestones.end(), epoch);
      return lr * std::pow(c.gamma, static_cast<double>(hits));
    }
    case SchedulerKind::exponential:
      return epoch == 0 ? lr : lr * c.gamma;
    case SchedulerKind::cosine_annealing: {
      const double t_max = static_cast<double>(c.t_max), e = static_cast<double>(epoch);
      if (epoch == 0) return lr;
      if ((epoch - 1 - c.t_max) % (2 * c.t_max) == 0) {
        return lr + (base_lr - c.eta_min) * (1.0 - std::cos(M_PI / t_max)) / 2.0;
      }
      return (1.0 + std::cos(M_PI * e / t_max)) / (1.0 + std::cos(M_PI * (e - 1.0) / t_max)) *
                 (lr - c.eta_min) +
             c.eta_min;
    }
    case SchedulerKind::linear: {
      if (epoch == 0) return lr * c.start_factor;
      if (epoch > c.total_iters) return lr;
      const double delta = c.end_factor - c.start_factor;
      return lr * (1.0 + delta / (static_cast<double>(c.total_iters) * c.start_factor +
                                  static_cast<double>(epoch - 1) * delta));
    }
    default:
      return lr;
  }
}

bool LrScheduler::is_better(double value, double best) const {
  const SchedulerConfig &c = config_;
  if (c.mode == PlateauMode::min) {
    return c.threshold_mode == ThresholdMode::rel ? value < best * (1.0 - c.threshold)
                                                  : value < best - c.threshold;
  }
  return c.threshold_mode == ThresholdMode::rel ? value > best * (c.threshold + 1.0)
                                                : value > best + c.threshold;
}

void LrScheduler::step(Optimizer &optimizer, double metric) {
  if (config_.kind != SchedulerKind::reduce_on_plateau) {
    step(optimizer);
    return;
  }
  check_groups(optimizer);
  state_.last_epoch += 1;
  if (is_better(metric, state_.best)) {
    state_.best = metric;
    state_.num_bad_epochs = 0;
  } else {
    state_.num_bad_epochs += 1;
  }
  if (state_.cooldown_counter > 0) {
    state_.cooldown_counter -= 1;
    state_.num_bad_epochs = 0;  // bad epochs during cooldown are ignored
  }
  if (state_.num_bad_epochs > config_.patience) {
    for (size_t g = 0; g < optimizer.group_count(); ++g) {
      const double min_lr =
          g == 0 || config_.group_min_lr.empty() ? config_.min_lr : config_.group_min_lr[g - 1];
      const double old_lr = optimizer.group_lr(g);
      const double new_lr = std::max(old_lr * config_.factor, min_lr);
      if (old_lr - new_lr > config_.eps) optimizer.set_group_lr(g, new_lr);
    }
    state_.cooldown_counter = config_.cooldown;
    state_.num_bad_epochs = 0;
  }
}

}  // namespace nnstate
