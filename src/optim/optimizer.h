// Optimizers with PyTorch semantics (torch.optim.SGD, Adam, AdamW). Per-parameter state is
// keyed by the parameter's state_dict name, never by position, so a checkpoint can only ever
// be matched to the parameter it belongs to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "optim/param_groups.h"
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
  // Parameter groups with their own lr, betas, eps and weight_decay (torch's param_groups).
  // The options above are the default group's: it holds the parameters no group selects.
  std::vector<ParamGroupConfig> groups;
};

// PyTorch's defaults for a kind (AdamW: weight_decay 1e-2; SGD: lr 1e-3 as we need one).
OptimizerConfig default_optimizer_config(OptimizerKind kind);
// Throws Error with PyTorch's rules (lr >= 0, 0 <= beta < 1, eps >= 0, weight_decay >= 0,
// nesterov needs momentum > 0 and dampening == 0, finite values).
// Each group's options are checked alike (NaN values: the default group's).
void validate_optimizer_config(const OptimizerConfig &config);
// `config` with every group's NaN options replaced by the default group's.
OptimizerConfig resolve_param_groups(OptimizerConfig config);

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
  // The default group's rate (and, with set_lr, only that group's).
  double lr() const { return config_.lr; }
  // Learning-rate schedules change the rate between steps.
  void set_lr(double lr);
  // Group 0 is the default group (config() itself), group 1 + k is config().groups[k]; each
  // parameter is in one of them. Options are resolved (no NaN).
  size_t group_count() const { return 1 + config_.groups.size(); }
  ParamGroupOptions group_options(size_t group) const;
  double group_lr(size_t group) const { return group_options(group).lr; }
  void set_group_lr(size_t group, double lr);
  // The parameters in update order with their groups.
  const std::vector<std::string> &param_names() const { return param_names_; }
  const std::vector<size_t> &param_groups() const { return param_groups_; }
  // One update of every parameter from its gradient. Allocates nothing.
  virtual void step() = 0;
  virtual void visit_state(OptimizerStateVisitor &visitor) = 0;

 protected:
  // Resolves and checks `config` and assigns each of `params` its group.
  Optimizer(const OptimizerConfig &config, const std::vector<TensorRef> &params);
  OptimizerConfig config_;
  std::vector<std::string> param_names_;
  std::vector<size_t> param_groups_;
};

// A new optimizer over `params`, whose state starts empty. Every entry must be a parameter (have
// a gradient of its value's shape); train/network_tensors.h collects them from a network. Each
// group's patterns must select at least one of them, and no parameter may be in two groups.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig &config,
                                          std::vector<TensorRef> params);

}  // namespace nnstate
