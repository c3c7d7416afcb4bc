#include "optim/optimizer.h"

#include <cmath>

#include "optim/adam.h"
#include "optim/sgd.h"
#include "util/error.h"

namespace nnstate {
namespace {

void require(bool ok, const std::string &what, double value) {
  if (!ok) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "invalid optimizer option " + what + ": " + std::to_string(value));
  }
}

// A buffer or a gradient of another shape would make step() read or write out of bounds.
void check_parameter(const TensorRef &p) {
  if (!p.value || !p.grad || p.grad->shape() != p.value->shape()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "optimizer parameter \"" + p.name + "\" needs a value and a gradient of the same shape");
  }
}

// One group's options (the kind applies to all groups).
void validate_options(const OptimizerConfig &c) {
  if (c.kind != OptimizerKind::sgd && c.kind != OptimizerKind::adam &&
      c.kind != OptimizerKind::adamw) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "unknown optimizer kind " + std::to_string(static_cast<int32_t>(c.kind)));
  }
  require(std::isfinite(c.lr) && c.lr >= 0.0, "lr (must be >= 0)", c.lr);
  require(std::isfinite(c.weight_decay) && c.weight_decay >= 0.0, "weight_decay (must be >= 0)",
          c.weight_decay);
  if (c.kind == OptimizerKind::sgd) {
    require(std::isfinite(c.momentum) && c.momentum >= 0.0, "momentum (must be >= 0)", c.momentum);
    require(std::isfinite(c.dampening), "dampening (must be finite)", c.dampening);
    if (c.nesterov && (c.momentum <= 0.0 || c.dampening != 0.0)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           "nesterov momentum requires momentum > 0 and dampening == 0, got momentum " +
               std::to_string(c.momentum) + ", dampening " + std::to_string(c.dampening));
    }
  } else {
    require(std::isfinite(c.eps) && c.eps >= 0.0, "eps (must be >= 0)", c.eps);
    require(c.beta1 >= 0.0 && c.beta1 < 1.0, "beta1 (must be in [0, 1))", c.beta1);
    require(c.beta2 >= 0.0 && c.beta2 < 1.0, "beta2 (must be in [0, 1))", c.beta2);
  }
}

}  // namespace

const char *optimizer_kind_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd:
      return "SGD";
    case OptimizerKind::adam:
      return "Adam";
    case OptimizerKind::adamw:
      return "AdamW";
  }
  return "unknown";
}

OptimizerConfig default_optimizer_config(OptimizerKind kind) {
  OptimizerConfig c;
  c.kind = kind;
  if (kind == OptimizerKind::adamw) c.weight_decay = 1e-2;
  return c;
}

void validate_optimizer_config(const OptimizerConfig &c) {
  validate_options(c);
  const OptimizerConfig resolved = resolve_param_groups(c);
  for (size_t g = 0; g < c.groups.size(); ++g) {
    const std::string what = "param group " + std::to_string(g);
    check_patterns(c.groups[g].params, what);
    // The group's options checked by the default group's rules.
    OptimizerConfig one = c;
    const ParamGroupOptions &o = resolved.groups[g].options;
    one.lr = o.lr;
    one.beta1 = o.beta1;
    one.beta2 = o.beta2;
    one.eps = o.eps;
    one.weight_decay = o.weight_decay;
    try {
      validate_options(one);
    } catch (const Error &e) {
      fail(e.status(), what + ": " + e.what());
    }
  }
}

OptimizerConfig resolve_param_groups(OptimizerConfig c) {
  for (ParamGroupConfig &g : c.groups) {
    ParamGroupOptions &o = g.options;
    auto inherit = [](double &value, double fallback) {
      if (value != value) value = fallback;  // NaN
    };
    inherit(o.lr, c.lr);
    inherit(o.beta1, c.beta1);
    inherit(o.beta2, c.beta2);
    inherit(o.eps, c.eps);
    inherit(o.weight_decay, c.weight_decay);
  }
  return c;
}

Optimizer::Optimizer(const OptimizerConfig &config, const std::vector<TensorRef> &params)
    : config_(resolve_param_groups(config)) {
  validate_optimizer_config(config_);
  for (const TensorRef &p : params) param_names_.push_back(p.name);
  param_groups_ = assign_param_groups(config_.groups, param_names_);
}

void Optimizer::set_lr(double lr) {
  set_group_lr(0, lr);
}

ParamGroupOptions Optimizer::group_options(size_t group) const {
  if (group == 0) {
    return ParamGroupOptions{config_.lr, config_.beta1, config_.beta2, config_.eps,
                             config_.weight_decay};
  }
  return config_.groups.at(group - 1).options;
}

void Optimizer::set_group_lr(size_t group, double lr) {
  // Checked before the message is built: a per-batch schedule calls this every step, which
  // must not allocate.
  if (!(std::isfinite(lr) && lr >= 0.0)) require(false, "lr (must be >= 0)", lr);
  if (group >= group_count()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "param group " + std::to_string(group) +
                                           " does not exist (the optimizer has " +
                                           std::to_string(group_count()) + " with the default)");
  }
  (group == 0 ? config_.lr : config_.groups[group - 1].options.lr) = lr;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig &config,
                                          std::vector<TensorRef> params) {
  validate_optimizer_config(config);
  for (const TensorRef &p : params) check_parameter(p);
  if (config.kind == OptimizerKind::sgd) return std::make_unique<SGD>(config, std::move(params));
  return std::make_unique<Adam>(config, std::move(params));
}

}  // namespace nnstate
