#include "optim/adam.h"

#include <cmath>

namespace nnstate {

Adam::Adam(const OptimizerConfig &config, std::vector<ParamRef> params) : Optimizer(config) {
  states_.reserve(params.size());
  for (ParamRef &p : params) {
    State s;
    s.exp_avg = Tensor(p.value->shape());
    s.exp_avg_sq = Tensor(p.value->shape());
    if (config.amsgrad) s.max_exp_avg_sq = Tensor(p.value->shape());
    s.param = std::move(p);
    states_.push_back(std::move(s));
  }
}

void Adam::step() {
  for (State &s : states_) update(s);
}

// Scalars are computed in double and applied in float, as PyTorch does for float32 tensors.
void Adam::update(State &s) {
  const OptimizerConfig &c = config_;
  s.step += 1;
  const double bias_correction1 = 1.0 - std::pow(c.beta1, static_cast<double>(s.step));
  const double bias_correction2 = 1.0 - std::pow(c.beta2, static_cast<double>(s.step));
  const float step_size = static_cast<float>(c.lr / bias_correction1);
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float beta1 = static_cast<float>(c.beta1),
              one_minus_beta1 = static_cast<float>(1 - c.beta1);
  const float beta2 = static_cast<float>(c.beta2),
              one_minus_beta2 = static_cast<float>(1 - c.beta2);
  const float eps = static_cast<float>(c.eps);
  const bool decoupled = c.kind == OptimizerKind::adamw;
  const float l2 = decoupled ? 0.0f : static_cast<float>(c.weight_decay);
  const float decay_factor = static_cast<float>(1.0 - c.lr * c.weight_decay);
  const float sign = c.maximize ? -1.0f : 1.0f;

  const int64_t n = s.param.value->numel();
  float *p = s.param.value->data();
  const float *grad = s.param.grad->data();
  float *m = s.exp_avg.data();
  float *v = s.exp_avg_sq.data();
  float *v_max = c.amsgrad ? s.max_exp_avg_sq.data() : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    float g = sign * grad[i];
    if (decoupled) p[i] *= decay_factor;
    g += l2 * p[i];
    m[i] = m[i] * beta1 + g * one_minus_beta1;
    v[i] = v[i] * beta2 + g * g * one_minus_beta2;
    float second = v[i];
    if (v_max) {
      // AMSGrad keeps the maximum of the raw (not bias-corrected) second moment.
      v_max[i] = v_max[i] > v[i] ? v_max[i] : v[i];
      second = v_max[i];
    }
    float denom = std::sqrt(second) / bias_correction2_sqrt + eps;
    p[i] -= step_size * (m[i] / denom);
  }
}

void Adam::visit_state(OptimizerStateVisitor &visitor) {
  for (State &s : states_) {
    visitor.step(s.param.name, s.step);
    visitor.tensor(s.param.name, "exp_avg", s.exp_avg);
    visitor.tensor(s.param.name, "exp_avg_sq", s.exp_avg_sq);
    if (config_.amsgrad) visitor.tensor(s.param.name, "max_exp_avg_sq", s.max_exp_avg_sq);
  }
}

}  // namespace nnstate
