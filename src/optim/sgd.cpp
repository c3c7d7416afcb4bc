#include "optim/sgd.h"

namespace nnstate {

SGD::SGD(const OptimizerConfig &config, std::vector<TensorRef> params) : Optimizer(config, params) {
  states_.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    TensorRef &p = params[i];
    State s;
    s.group = param_groups_[i];
    if (config.momentum != 0.0) s.momentum_buffer = Tensor(p.value->shape());
    s.param = std::move(p);
    states_.push_back(std::move(s));
  }
}

void SGD::step() {
  for (State &s : states_) update(s);
}

void SGD::update(State &s) {
  const OptimizerConfig &c = config_;
  const ParamGroupOptions g = group_options(s.group);
  const float lr = static_cast<float>(g.lr);
  const float weight_decay = static_cast<float>(g.weight_decay);
  const float momentum = static_cast<float>(c.momentum);
  const float one_minus_dampening = static_cast<float>(1.0 - c.dampening);
  const float sign = c.maximize ? -1.0f : 1.0f;
  const bool first = s.step == 0;
  s.step += 1;

  const int64_t n = s.param.value->numel();
  float *p = s.param.value->data();
  const float *grad = s.param.grad->data();
  float *buf = c.momentum != 0.0 ? s.momentum_buffer.data() : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    float d = sign * grad[i] + weight_decay * p[i];
    if (buf) {
      buf[i] = first ? d : buf[i] * momentum + one_minus_dampening * d;
      d = c.nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

void SGD::visit_state(OptimizerStateVisitor &visitor) {
  for (State &s : states_) {
    visitor.step(s.param.name, s.step);
    if (config_.momentum != 0.0) visitor.tensor(s.param.name, "momentum_buffer", s.momentum_buffer);
  }
}

}  // namespace nnstate
