#include "optim/adam.h"

#include <cmath>

// Sanitizer builds skip the clones: their ifunc resolvers run during relocation, before the
// sanitizer runtime is ready (ThreadSanitizer crashes there).
#ifdef NNSTATE_NO_TARGET_CLONES
#define NNSTATE_VECTOR_CLONES
#else
#define NNSTATE_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

namespace nnstate {

namespace {
struct AdamScalars {
  float sign, l2, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2,
      bias_correction2_sqrt, eps, step_size;
};
// One element at a time in PyTorch's order, but branch-free (the flags are template
// parameters) and alias-free, so the compiler vectorises it; the clones pick AVX-512 or AVX2
// at load time. Element-wise IEEE operations give the same bits in every clone (no FMA
// contraction: -ffp-contract=off), so results do not depend on the CPU's vector width.
template <bool kDecoupled, bool kAmsgrad>
NNSTATE_VECTOR_CLONES void adam_loop(int64_t n, float *__restrict p, const float *__restrict grad,
                                     float *__restrict m, float *__restrict v,
                                     float *__restrict v_max, const AdamScalars k) {
  for (int64_t i = 0; i < n; ++i) {
    float g = k.sign * grad[i];
    float pi = p[i];
    if (kDecoupled) pi *= k.decay_factor;
    g += k.l2 * pi;
    float mi = m[i] * k.beta1 + g * k.one_minus_beta1;
    float vi = v[i] * k.beta2 + g * g * k.one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (kAmsgrad) {
      // AMSGrad keeps the maximum of the raw (not bias-corrected) second moment.
      float vm = v_max[i] > vi ? v_max[i] : vi;
      v_max[i] = vm;
      second = vm;
    }
    float denom = std::sqrt(second) / k.bias_correction2_sqrt + k.eps;
    p[i] = pi - k.step_size * (mi / denom);
  }
}
}  // namespace

Adam::Adam(const OptimizerConfig &config, std::vector<TensorRef> params)
    : Optimizer(config, params) {
  states_.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    TensorRef &p = params[i];
    State s;
    s.group = param_groups_[i];
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
  const ParamGroupOptions g = group_options(s.group);
  s.step += 1;
  const double bias_correction1 = 1.0 - std::pow(g.beta1, static_cast<double>(s.step));
  const double bias_correction2 = 1.0 - std::pow(g.beta2, static_cast<double>(s.step));
  const float step_size = static_cast<float>(g.lr / bias_correction1);
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float beta1 = static_cast<float>(g.beta1),
              one_minus_beta1 = static_cast<float>(1 - g.beta1);
  const float beta2 = static_cast<float>(g.beta2),
              one_minus_beta2 = static_cast<float>(1 - g.beta2);
  const float eps = static_cast<float>(g.eps);
  const bool decoupled = c.kind == OptimizerKind::adamw;
  const float l2 = decoupled ? 0.0f : static_cast<float>(g.weight_decay);
  const float decay_factor = static_cast<float>(1.0 - g.lr * g.weight_decay);
  const float sign = c.maximize ? -1.0f : 1.0f;

  const int64_t n = s.param.value->numel();
  float *p = s.param.value->data();
  const float *grad = s.param.grad->data();
  float *m = s.exp_avg.data();
  float *v = s.exp_avg_sq.data();
  float *v_max = c.amsgrad ? s.max_exp_avg_sq.data() : nullptr;
  AdamScalars k{sign,
                l2,
                decay_factor,
                beta1,
                one_minus_beta1,
                beta2,
                one_minus_beta2,
                bias_correction2_sqrt,
                eps,
                step_size};
  if (decoupled) {
    if (v_max)
      adam_loop<true, true>(n, p, grad, m, v, v_max, k);
    else
      adam_loop<true, false>(n, p, grad, m, v, v_max, k);
  } else {
    if (v_max)
      adam_loop<false, true>(n, p, grad, m, v, v_max, k);
    else
      adam_loop<false, false>(n, p, grad, m, v, v_max, k);
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
