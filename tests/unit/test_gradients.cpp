// Finite-difference gradient checks of every layer and loss.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gradient_check.h"
#include "layers/factory.h"
#include "layers/graph.h"
#include "losses/loss.h"
#include "random/rng.h"

using namespace nnstate;
using nnstate::testing::check_against_finite_differences;
using nnstate::testing::test_tensor;

namespace {

struct ParamCollector : StateVisitor {
  std::vector<std::string> names;
  std::vector<Tensor *> values, grads;
  void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *grad) override {
    if (role != TensorRole::parameter) return;
    names.push_back(name);
    values.push_back(&value);
    grads.push_back(grad);
  }
};

// The objective sum_i w_i * y_i has dL/dy = w, a dense, non-uniform output gradient.
double weighted_sum(const Tensor &y, const Tensor &w) {
  double sum = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) sum += static_cast<double>(y[i]) * w[i];
  return sum;
}

// Checks d(weighted_sum(layer(x)))/dx and /d(every parameter) of one layer.
void check_layer(const LayerConfig &config, const Shape &input_shape, float input_gap = 0.0f) {
  Rng rng(7, RngStream::init);
  std::unique_ptr<Layer> layer = make_layer(config, &rng);
  Tensor x = test_tensor(input_shape, 1, -2.0f, 2.0f, input_gap);
  Shape out_shape = layer->output_shape(x.shape());
  Tensor y(out_shape), w = test_tensor(out_shape, 2), dx(x.shape());
  RunContext context;
  context.training = true;

  auto objective = [&] {
    layer->forward(x, y, context);
    return weighted_sum(y, w);
  };
  objective();
  layer->backward(x, y, w, &dx);
  ParamCollector params;
  layer->visit_tensors("", params);
  // Keep copies: later forward passes during the check must not disturb the analytic values.
  std::vector<Tensor> analytic;
  for (Tensor *g : params.grads) analytic.push_back(*g);
  const Tensor analytic_dx = dx;

  check_against_finite_differences(x, analytic_dx, objective, "input");
  for (size_t p = 0; p < params.values.size(); ++p) {
    check_against_finite_differences(*params.values[p], analytic[p], objective,
                                     params.names[p].c_str());
  }
}

LayerConfig of_kind(LayerKind kind) {
  return LayerConfig(kind);
}

void check_loss(LossKind kind, const Shape &shape, const std::vector<float> &targets) {
  std::unique_ptr<Loss> loss = make_loss(kind);
  Tensor output = test_tensor(shape, 3, -3.0f, 3.0f);
  REQUIRE(static_cast<size_t>(loss->target_count(shape)) == targets.size());
  Tensor grad(shape);
  loss->compute(output, targets.data(), &grad);
  const Tensor analytic = grad;
  check_against_finite_differences(
      output, analytic,
      [&] { return static_cast<double>(loss->compute(output, targets.data(), nullptr)); },
      loss_kind_name(kind));
}

}  // namespace

TEST_CASE("Linear gradients match finite differences") {
  LayerConfig c(LayerKind::linear);
  auto &o = c.as<LinearConfig>();
  o.in_features = 5;
  o.out_features = 3;
  check_layer(c, Shape{4, 5});
  o.bias = false;
  check_layer(c, Shape{2, 5});
}

TEST_CASE("activation gradients match finite differences") {
  // Inputs are kept 0.05 away from 0, beyond the 1e-3 step, where ReLU-like kinks sit.
  check_layer(of_kind(LayerKind::relu), Shape{3, 7}, 0.05f);
  LayerConfig leaky(LayerKind::leaky_relu);
  auto &leaky_o = leaky.as<LeakyReLUConfig>();
  leaky_o.negative_slope = 0.2f;
  check_layer(leaky, Shape{3, 7}, 0.05f);
  check_layer(of_kind(LayerKind::tanh), Shape{3, 7});
  check_layer(of_kind(LayerKind::sigmoid), Shape{3, 7});
  check_layer(of_kind(LayerKind::gelu), Shape{3, 7});
  LayerConfig gelu_tanh(LayerKind::gelu);
  auto &gelu_tanh_o = gelu_tanh.as<GELUConfig>();
  gelu_tanh_o.tanh_approximation = true;
  check_layer(gelu_tanh, Shape{3, 7});
}

TEST_CASE("ReLU keeps NaN and -0 and passes the gradient at NaN, as PyTorch 1.13 does") {
  // torch.relu([nan, -0., -1., 2.]) = [nan, -0., 0., 2.]; its gradient of sum() is [1, 0, 0, 1].
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto relu = make_layer(of_kind(LayerKind::relu), nullptr);
  Tensor x(Shape{1, 4});
  const float values[] = {nan, -0.0f, -1.0f, 2.0f};
  std::copy(values, values + 4, x.data());
  Tensor y(Shape{1, 4});
  relu->forward(x, y, RunContext{});
  CHECK(std::isnan(y.data()[0]));
  CHECK((y.data()[1] == 0.0f && std::signbit(y.data()[1])));
  CHECK((y.data()[2] == 0.0f && !std::signbit(y.data()[2])));
  CHECK(y.data()[3] == 2.0f);
  Tensor ones(Shape{1, 4});
  std::fill(ones.data(), ones.data() + 4, 1.0f);
  Tensor dx(Shape{1, 4});
  relu->backward(x, y, ones, &dx);
  CHECK(std::vector<float>(dx.data(), dx.data() + 4) == std::vector<float>{1, 0, 0, 1});
}

TEST_CASE("loss gradients match finite differences") {
  check_loss(LossKind::mse, Shape{3, 2}, {0.5f, -1.0f, 2.0f, 0.0f, 1.5f, -0.25f});
  check_loss(LossKind::cross_entropy, Shape{4, 3}, {0.0f, 2.0f, 1.0f, 2.0f});
  check_loss(LossKind::bce_with_logits, Shape{2, 3}, {0.0f, 1.0f, 0.3f, 1.0f, 0.0f, 0.9f});
}

TEST_CASE("a whole network backpropagates the loss gradient to every parameter") {
  Rng rng(11, RngStream::init);
  Graph net;
  LayerConfig l1(LayerKind::linear);
  auto &o = l1.as<LinearConfig>();
  o.in_features = 3;
  o.out_features = 6;
  net.add(make_layer(l1, &rng));
  net.add(make_layer(of_kind(LayerKind::tanh), &rng));
  LayerConfig l2 = l1;
  l2.as<LinearConfig>().in_features = 6;
  l2.as<LinearConfig>().out_features = 4;
  net.add(make_layer(l2, &rng));
  std::unique_ptr<Loss> loss = make_loss(LossKind::cross_entropy);
  Tensor x = test_tensor(Shape{5, 3}, 4);
  const std::vector<float> targets = {0, 3, 1, 2, 3};
  RunContext context;
  context.training = true;

  auto objective = [&] {
    const Tensor &out = net.forward(x.data(), 5, context);
    return static_cast<double>(loss->compute(out, targets.data(), nullptr));
  };
  const Tensor &out = net.forward(x.data(), 5, context);
  loss->compute(out, targets.data(), &net.output_grad());
  net.backward();
  ParamCollector params;
  net.visit_state(params);
  REQUIRE(params.names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  std::vector<Tensor> analytic;
  for (Tensor *g : params.grads) analytic.push_back(*g);
  for (size_t p = 0; p < params.values.size(); ++p) {
    check_against_finite_differences(*params.values[p], analytic[p], objective,
                                     params.names[p].c_str());
  }
}
