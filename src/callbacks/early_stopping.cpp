#include "callbacks/early_stopping.h"

#include <cmath>
#include <limits>

#include "util/error.h"

namespace nnstate {

MonitorMode resolve_monitor_mode(const EarlyStoppingConfig &config) {
  if (config.mode == MonitorMode::min || config.mode == MonitorMode::max) return config.mode;
  if (config.mode != MonitorMode::auto_detect) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "unknown early-stopping mode " + std::to_string(static_cast<int32_t>(config.mode)));
  }
  const std::string &m = config.monitor;
  bool maximise = m.find("acc") != std::string::npos || m.find("auc") != std::string::npos;
  return maximise ? MonitorMode::max : MonitorMode::min;
}

EarlyStopping::EarlyStopping(const EarlyStoppingConfig &config)
    : config_(config), mode_(resolve_monitor_mode(config)) {
  if (config.monitor.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, "early stopping needs a monitor");
  if (!std::isfinite(config.min_delta) || config.patience < 0 || config.start_from_epoch < 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "early stopping needs a finite min_delta and patience, start_from_epoch >= 0");
  }
  config_.min_delta = std::fabs(config.min_delta);
  const double inf = std::numeric_limits<double>::infinity();
  state_.best = mode_ == MonitorMode::min ? inf : -inf;
}

// Keras: monitor_op(value - min_delta, reference), min_delta negated for "min" mode.
bool EarlyStopping::is_improvement(double value, double reference) const {
  if (mode_ == MonitorMode::min) return value + config_.min_delta < reference;
  return value - config_.min_delta > reference;
}

void EarlyStopping::capture_weights(const std::vector<TensorRef> &weights) {
  std::vector<std::pair<std::string, Tensor>> &best = state_.best_weights;
  // Reuse the snapshot's storage after the first capture.
  best.resize(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    best[i].first = weights[i].name;
    best[i].second = *weights[i].value;
  }
}

bool EarlyStopping::on_epoch_end(int64_t epoch, double value,
                                 const std::vector<TensorRef> &weights) {
  if (epoch < config_.start_from_epoch) return false;
  if (config_.restore_best_weights && state_.best_weights.empty()) {
    // Keras: if best weights were never set, the current weights are the best.
    capture_weights(weights);
    state_.best_epoch = epoch;
  }
  state_.wait += 1;
  if (is_improvement(value, state_.best)) {
    state_.best = value;
    state_.best_epoch = epoch;
    if (config_.restore_best_weights) capture_weights(weights);
    // Only restart waiting when the value beats both the previous best and the baseline.
    if (!config_.has_baseline || is_improvement(value, config_.baseline)) state_.wait = 0;
    return false;
  }
  if (state_.wait >= config_.patience && epoch > 0) {
    state_.stopped_epoch = epoch;
    return true;
  }
  return false;
}

void EarlyStopping::on_train_end(const std::vector<TensorRef> &weights) {
  if (!config_.restore_best_weights || state_.best_weights.empty()) return;
  const std::vector<std::pair<std::string, Tensor>> &best = state_.best_weights;
  // Every tensor is checked before any is written: a mismatch leaves the network as it was.
  for (size_t i = 0; i < weights.size(); ++i) {
    const TensorRef &w = weights[i];
    if (i >= best.size() || best[i].first != w.name || best[i].second.shape() != w.value->shape()) {
      fail(NNSTATE_ERR_STATE, "the best weights saved by early stopping do not match tensor \"" +
                                  w.name + "\" of the network");
    }
  }
  for (size_t i = 0; i < weights.size(); ++i) *weights[i].value = best[i].second;
}

}  // namespace nnstate
