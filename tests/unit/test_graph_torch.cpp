// A residual/concat/gating MLP and a ResNet BasicBlock-style conv graph against PyTorch 1.13:
// outputs, every parameter gradient and the BatchNorm running statistics after one training
// forward, from the same weights (tests/unit/reference/make_graph_refs.py builds the twins).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "graph_torch_refs.h"
#include "test_layers_util.h"
#include "train/model.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

constexpr int32_t kInput = Graph::kNetworkInput;

LayerConfig linear(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::linear);
  auto &o = c.as<LinearConfig>();
  o.in_features = in;
  o.out_features = out;
  return c;
}

LayerConfig conv3x3(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::conv2d);
  auto &o = c.as<Conv2dConfig>();
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = {3, 3};
  o.padding = {1, 1};
  o.bias = false;
  return c;
}

LayerConfig batch_norm2d(int64_t channels) {
  LayerConfig c(LayerKind::batch_norm2d);
  auto &o = c.as<BatchNormConfig>();
  o.num_features = channels;
  return c;
}

LayerConfig concat(int32_t dim) {
  LayerConfig c(LayerKind::concat);
  auto &o = c.as<ConcatConfig>();
  o.dim = dim;
  return c;
}

// value[k] = 0.5 sin(1.3 (k + 1) + 0.7 salt): the generator's formula.
void fill(Tensor &t, int salt) {
  for (int64_t k = 0; k < t.numel(); ++k) {
    t[k] = static_cast<float>(0.5 * std::sin(1.3 * static_cast<double>(k + 1) + 0.7 * salt));
  }
}

// Parameters get their salt from their rank in sorted name order, as in the generator.
void fill_parameters(Graph &net) {
  TensorCollector state;
  net.visit_state(state);
  std::vector<std::string> sorted;
  for (size_t i = 0; i < state.names.size(); ++i) {
    if (state.roles[i] == TensorRole::parameter) sorted.push_back(state.names[i]);
  }
  std::sort(sorted.begin(), sorted.end());
  for (size_t salt = 0; salt < sorted.size(); ++salt) {
    fill(*state.find(sorted[salt]), static_cast<int>(salt));
  }
}

void check_close(const std::string &what, const float *got, const std::vector<float> &want) {
  float scale = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(what << "[" << i << "]: got " << got[i] << ", PyTorch " << want[i]);
    // 1e-5 relative, or float32 rounding of sums whose terms reach `scale`.
    CHECK(std::fabs(got[i] - want[i]) <= 1e-5f * std::fabs(want[i]) + 2e-6f * scale);
  }
}

// One training forward and backward of weighted_sum(output), compared with the references.
template <size_t N>
void compare_with_torch(Graph &net, const Shape &input_shape, const RefTensor (&refs)[N]) {
  fill_parameters(net);
  Tensor x(input_shape);
  fill(x, 100);
  RunContext context;
  context.training = true;
  const Tensor &out = net.forward(x.data(), input_shape[0], context);
  Tensor &grad = net.output_grad();
  for (int64_t i = 0; i < grad.numel(); ++i) {
    grad[i] = static_cast<float>(std::cos(0.37 * static_cast<double>(i) + 0.1));
  }
  net.backward();
  TensorCollector state;
  net.visit_state(state);
  std::map<std::string, const float *> got;
  for (size_t i = 0; i < state.names.size(); ++i) {
    got[state.names[i]] = state.values[i]->data();
    if (state.grads[i]) got[state.names[i] + ".grad"] = state.grads[i]->data();
  }
  got["output"] = out.data();
  for (const RefTensor &ref : refs) {
    REQUIRE_MESSAGE(got.count(ref.name), ref.name);
    check_close(ref.name, got[ref.name], ref.values);
  }
}

}  // namespace

TEST_CASE("graph vs PyTorch: x + relu(fc1 x), concat of two heads, a tanh gate") {
  Model model(1);
  model.network().set_sample_input_shape(Shape{4});
  model.add_node(linear(4, 4), {kInput}, "fc1");
  model.add_node(kind_config(LayerKind::relu), {0}, "");
  model.add_node(kind_config(LayerKind::add), {kInput, 1}, "");
  model.add_node(linear(4, 6), {2}, "branch_a");
  model.add_node(linear(4, 2), {2}, "branch_b");
  model.add_node(concat(1), {3, 4}, "");
  model.add_node(kind_config(LayerKind::tanh), {5}, "");
  model.add_node(kind_config(LayerKind::multiply), {5, 6}, "");
  model.add_node(linear(8, 3), {7}, "head");
  compare_with_torch(model.network(), Shape{3, 4}, kMlpGraphRefs);
}

TEST_CASE("graph vs PyTorch: a BasicBlock (conv-bn-relu-conv-bn + identity) and a concat") {
  Model model(1);
  model.network().set_sample_input_shape(Shape{2, 5, 5});
  model.add_node(conv3x3(2, 3), {kInput}, "conv1");
  model.add_node(batch_norm2d(3), {0}, "bn1");
  model.add_node(kind_config(LayerKind::relu), {1}, "");
  model.add_node(conv3x3(3, 2), {2}, "conv2");
  model.add_node(batch_norm2d(2), {3}, "bn2");
  model.add_node(kind_config(LayerKind::add), {4, kInput}, "");
  model.add_node(kind_config(LayerKind::relu), {5}, "");
  model.add_node(concat(1), {6, kInput}, "");
  model.add_node(kind_config(LayerKind::flatten), {7}, "");
  model.add_node(linear(4 * 25, 3), {8}, "fc");
  compare_with_torch(model.network(), Shape{2, 2, 5, 5}, kConvGraphRefs);
}
