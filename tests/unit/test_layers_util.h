// Helpers shared by the layer tests (test_layers_*.cpp): building layers from configs,
// collecting tensors through the visitor, and finite-difference checks of a layer w.r.t. its
// input and every parameter.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gradient_check.h"
#include "layers/factory.h"
#include "random/rng.h"

namespace nnstate::testing {

struct TensorCollector : StateVisitor {
  std::vector<std::string> names;
  std::vector<TensorRole> roles;
  std::vector<Tensor *> values, grads;
  void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *grad) override {
    names.push_back(name);
    roles.push_back(role);
    values.push_back(&value);
    grads.push_back(grad);
  }
  // A tensor's value or gradient by name (null when there is none).
  Tensor *find(const std::string &name) const { return lookup(name, values); }
  Tensor *grad(const std::string &name) const { return lookup(name, grads); }

 private:
  Tensor *lookup(const std::string &name, const std::vector<Tensor *> &of) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return of[i];
    }
    return nullptr;
  }
};

inline LayerConfig kind_config(LayerKind kind) {
  return LayerConfig(kind);
}

// sum_i w_i y_i: dL/dy = w, a dense, non-uniform output gradient.
inline double weighted_sum(const Tensor &y, const Tensor &w) {
  double sum = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) sum += static_cast<double>(y[i]) * w[i];
  return sum;
}

// Checks d(weighted_sum(layer(x)))/dx and d/d(every parameter) against central differences.
// `before_forward` runs before every forward pass (e.g. to restore a random stream).
inline void check_layer_gradients(Layer &layer, Tensor x, const RunContext &context,
                                  const std::function<void()> &before_forward = {}) {
  const Shape out_shape = layer.output_shape(x.shape());
  Tensor y(out_shape), w = test_tensor(out_shape, 2), dx(x.shape());
  auto objective = [&] {
    if (before_forward) before_forward();
    layer.forward(x, y, context);
    return weighted_sum(y, w);
  };
  objective();
  layer.backward(x, y, w, &dx);
  TensorCollector state;
  layer.visit_tensors("", state);
  // Copies: the forward passes of the check must not disturb the analytic values.
  std::vector<Tensor> analytic;
  std::vector<size_t> params;
  for (size_t i = 0; i < state.names.size(); ++i) {
    if (state.roles[i] != TensorRole::parameter) continue;
    REQUIRE(state.grads[i] != nullptr);
    params.push_back(i);
    analytic.push_back(*state.grads[i]);
  }
  const Tensor analytic_dx = dx;
  check_against_finite_differences(x, analytic_dx, objective, "input");
  for (size_t k = 0; k < params.size(); ++k) {
    check_against_finite_differences(*state.values[params[k]], analytic[k], objective,
                                     state.names[params[k]].c_str());
  }
}

inline void check_config_gradients(const LayerConfig &config, const Tensor &x, bool training) {
  Rng rng(7, RngStream::init);
  std::unique_ptr<Layer> layer = make_layer(config, &rng);
  RunContext context;
  context.training = training;
  check_layer_gradients(*layer, x, context);
}

// Runs one forward pass of `layer` on `x`.
inline Tensor run_forward(Layer &layer, const Tensor &x, bool training, Rng *dropout = nullptr) {
  Tensor y(layer.output_shape(x.shape()));
  RunContext context;
  context.training = training;
  context.dropout_rng = dropout;
  layer.forward(x, y, context);
  return y;
}

}  // namespace nnstate::testing
