// Early stopping with Keras 3 semantics (keras.callbacks.EarlyStopping) whose whole state --
// best value, best epoch, wait count, stopped epoch and the best weights -- is a plain struct
// that a checkpoint saves, so a restarted run stops exactly where the uninterrupted run would.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor_ref.h"

namespace nnstate {

// Persisted in checkpoints and the C API: append only.
enum class MonitorMode : int32_t { auto_detect = 0, min = 1, max = 2 };

struct EarlyStoppingConfig {
  std::string monitor = "val_loss";
  MonitorMode mode = MonitorMode::auto_detect;
  double min_delta = 0.0;
  int64_t patience = 0;
  bool has_baseline = false;
  double baseline = 0.0;
  bool restore_best_weights = false;
  int64_t start_from_epoch = 0;
};

// Keras' "auto": maximise metrics whose name contains "acc" or "auc", minimise the rest.
MonitorMode resolve_monitor_mode(const EarlyStoppingConfig &config);

struct EarlyStoppingState {
  double best = 0.0;  // +inf (min) or -inf (max) until a value was seen
  int64_t best_epoch = 0;
  int64_t wait = 0;
  int64_t stopped_epoch = 0;
  // Every tensor of the network (parameters and buffers, like Keras' get_weights()) at the best
  // epoch, by state_dict name; empty until restore_best_weights captured them.
  std::vector<std::pair<std::string, Tensor>> best_weights;
};

class EarlyStopping {
 public:
  explicit EarlyStopping(const EarlyStoppingConfig &config);

  const EarlyStoppingConfig &config() const { return config_; }
  MonitorMode mode() const { return mode_; }
  EarlyStoppingState &state() { return state_; }
  const EarlyStoppingState &state() const { return state_; }

  // `weights` are every tensor of the network, parameters and buffers, always in the same order
  // (train/network_tensors.h collects them).
  // Keras' on_epoch_end with the monitored value of 0-based `epoch`; returns true to stop.
  // A NaN value never improves.
  bool on_epoch_end(int64_t epoch, double value, const std::vector<TensorRef> &weights);
  // Keras 3's on_train_end: puts the best weights back when restore_best_weights captured them.
  void on_train_end(const std::vector<TensorRef> &weights);

 private:
  bool is_improvement(double value, double reference) const;
  void capture_weights(const std::vector<TensorRef> &weights);

  EarlyStoppingConfig config_;
  MonitorMode mode_;
  EarlyStoppingState state_;
};

}  // namespace nnstate
