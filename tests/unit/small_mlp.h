// The small MLP of the clipping references (tests/unit/reference/make_clip_refs.py) and its data
// from the formula both sides share: Linear(4, 3), ReLU, Linear(3, 2), MSE, SGD(lr 0.1, momentum
// 0.9). Also what the accumulation and rollback tests train.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "train/trainer.h"

namespace nnstate::testing {

// value[k] = scale sin(1.3 (k + 1) + 0.7 salt)
inline float formula(int64_t k, int salt, float scale) {
  return scale * static_cast<float>(std::sin(1.3 * static_cast<double>(k + 1) + 0.7 * salt));
}

inline LayerConfig linear_config(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::linear);
  c.as<LinearConfig>().in_features = in;
  c.as<LinearConfig>().out_features = out;
  return c;
}

// The generator's MLP: Linear(4, 3), ReLU, Linear(3, 2), MSE, SGD(lr 0.1, momentum 0.9), its
// parameters from the formula in sorted-name order.
inline void build_clip_mlp(Model &model) {
  LayerConfig l(LayerKind::linear);
  auto &l_o = l.as<LinearConfig>();
  l_o.in_features = 4;
  l_o.out_features = 3;
  model.add_layer(l);
  LayerConfig relu(LayerKind::relu);
  model.add_layer(relu);
  l_o.in_features = 3;
  l_o.out_features = 2;
  model.add_layer(l);
  model.set_loss(LossKind::mse);
  OptimizerConfig sgd = default_optimizer_config(OptimizerKind::sgd);
  sgd.lr = 0.1;
  sgd.momentum = 0.9;
  model.set_optimizer(sgd);
  struct Fill : StateVisitor {
    std::map<std::string, Tensor *> by_name;
    void tensor(const std::string &name, TensorRole, Tensor &value, Tensor *) override {
      by_name[name] = &value;
    }
  } fill;
  model.network().visit_state(fill);
  int salt = 0;
  for (auto &[name, t] : fill.by_name) {  // std::map: sorted names, as the generator
    for (int64_t k = 0; k < t->numel(); ++k) (*t)[k] = formula(k, salt, 0.5f);
    ++salt;
  }
}

struct ClipData {
  std::vector<float> x, y;
  explicit ClipData(int samples) {
    for (int k = 0; k < samples * 4; ++k) x.push_back(formula(k, 100, 1.0f));
    for (int k = 0; k < samples * 2; ++k) y.push_back(formula(k, 200, 1.0f));
  }
  Dataset dataset() const {
    return Dataset{x.data(), y.data(), static_cast<int64_t>(y.size() / 2), 4, 2};
  }
};

}  // namespace nnstate::testing
