// Optimizers with PyTorch semantics (torch.optim.SGD, Adam, AdamW). Per-parameter state is
// keyed by the parameter's state_dict name, never by position, so a checkpoint can only ever
// be matched to the parameter it belongs to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor_ref.h"

namespace nnstate {

// Persisted in checkpoints and the C API: append only.
enum class OptimizerKind : int32_t { sgd = 1, adam = 2, adamw = 3 };

const char *optimizer_kind_name(OptimizerKind kind);

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  double lr = 1e-3;
  double beta1 = 0.9;         // Adam, AdamW
  double beta2 = 0.999;       // Adam, AdamW
  double eps = 1e-8;          // Adam, AdamW
  double weight_decay = 0.0;  // L2 for SGD and Adam, decoupled for AdamW
  bool amsgrad = false;       // Adam, AdamW
  bool maximize = false;
  double momentum = 0.0;   // SGD
  double dampening = 0.0;  // SGD
  bool nesterov = false;   // SGD
};

// PyTorch's defaults for a kind (AdamW: weight_decay 1e-2; SGD: lr 1e-3 as we need one).
OptimizerConfig default_optimizer_config(OptimizerKind kind);
// Throws Error with PyTorch's rules (lr >= 0, 0 <= beta < 1, eps >= 0, weight_decay >= 0,
// nesterov needs momentum > 0 and dampening == 0, finite values).
void validate_optimizer_config(const OptimizerConfig &config);

// Reports (and lets a loader overwrite) each parameter's state: its step count and tensors.
class OptimizerStateVisitor {
 public:
  virtual ~OptimizerStateVisitor() = default;
  virtual void step(const std::string &param, int64_t &step) = 0;
  // state_name as in PyTorch's state_dict: exp_avg, exp_avg_sq, max_exp_avg_sq,
  // momentum_buffer.
  virtual void tensor(const std::string &param, const char *state_name, Tensor &value) = 0;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  const OptimizerConfig &config() const { return config_; }
  OptimizerKind kind() const { return config_.kind; }
  double lr() const { return config_.lr; }
  // Learning-rate schedules change the rate between steps.
  void set_lr(double lr);
  // One update of every parameter from its gradient. Allocates nothing.
  virtual void step() = 0;
  virtual void visit_state(OptimizerStateVisitor &visitor) = 0;

 protected:
  explicit Optimizer(const OptimizerConfig &config);
  OptimizerConfig config_;
};

// A new optimizer over `params`, whose state starts empty. Every entry must be a parameter (have
// a gradient of its value's shape); train/network_tensors.h collects them from a network.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig &config,
                                          std::vector<TensorRef> params);

}  // namespace nnstate
