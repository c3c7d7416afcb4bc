// Graph networks: merges (add, concat, multiply), fan-out, PyTorch module names, the checks of
// Graph::add and of an untrusted file's graph (check_graph), and gradients through all of it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "checkpoint/architecture.h"
#include "layers/graph.h"
#include "layers/merge.h"
#include "test_checkpoint_util.h"
#include "test_layers_util.h"

using namespace nnstate;
using namespace nnstate::testing;
using ckpt_test::status_of;

namespace {

LayerConfig linear(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::linear);
  auto &o = c.as<LinearConfig>();
  o.in_features = in;
  o.out_features = out;
  return c;
}

std::unique_ptr<Layer> build(const LayerConfig &c, Rng &rng) {
  return make_layer(c, &rng);
}

// The gradient of weighted_sum(graph(x)) w.r.t. every parameter against central differences.
void check_graph_gradients(Graph &net, const Tensor &x, int64_t batch) {
  RunContext context;
  context.training = true;
  const Tensor &first = net.forward(x.data(), batch, context);
  const Tensor w = test_tensor(first.shape(), 3);
  auto objective = [&] { return weighted_sum(net.forward(x.data(), batch, context), w); };
  objective();
  net.output_grad() = w;
  net.backward();
  TensorCollector state;
  net.visit_state(state);
  std::vector<Tensor> analytic;
  for (Tensor *g : state.grads) analytic.push_back(g ? *g : Tensor());
  size_t checked = 0;
  for (size_t i = 0; i < state.names.size(); ++i) {
    if (state.roles[i] != TensorRole::parameter) continue;
    check_against_finite_differences(*state.values[i], analytic[i], objective,
                                     state.names[i].c_str());
    ++checked;
  }
  CHECK(checked > 0);
}

}  // namespace

TEST_CASE("graph: residual, concat, gating and fan-out backpropagate like finite differences") {
  Rng rng(21, RngStream::init);
  Graph net;
  // x -> fc1 -> tanh -> (+ x) -> {a, b} -> concat -> (* sigmoid(concat)) -> head, and x feeds
  // both the residual sum and a product with itself (one node taking the same input twice).
  net.add(build(linear(4, 4), rng), {Graph::kNetworkInput}, "fc1");
  net.add(build(kind_config(LayerKind::tanh), rng), {0}, "");
  net.add(std::make_unique<Add>(), {Graph::kNetworkInput, 1}, "res");
  net.add(build(linear(4, 3), rng), {2}, "branch_a");
  net.add(build(linear(4, 2), rng), {2}, "branch_b");
  net.add(std::make_unique<Concat>(1), {3, 4}, "cat");
  net.add(build(kind_config(LayerKind::sigmoid), rng), {5}, "gate");
  net.add(std::make_unique<Multiply>(), {5, 6, 5}, "gated");
  net.add(build(linear(5, 2), rng), {7}, "head");
  CHECK(net.sample_output_shape() == Shape{2});
  check_graph_gradients(net, test_tensor(Shape{3, 4}, 5), 3);
}

TEST_CASE("graph: a conv block with a residual and a channel concat matches finite differences") {
  Rng rng(22, RngStream::init);
  Graph net;
  net.set_sample_input_shape(Shape{2, 4, 4});
  LayerConfig conv(LayerKind::conv2d);
  auto &o = conv.as<Conv2dConfig>();
  o.in_channels = 2;
  o.out_channels = 2;
  o.kernel_size = {3, 3};
  o.padding = {1, 1};
  net.add(build(conv, rng), {Graph::kNetworkInput}, "conv1");
  net.add(std::make_unique<Add>(), {0, Graph::kNetworkInput}, "");
  net.add(std::make_unique<Concat>(-3), {1, Graph::kNetworkInput}, "");  // channels of [N,C,H,W]
  net.add(build(kind_config(LayerKind::flatten), rng), {2}, "");
  net.add(build(linear(4 * 16, 2), rng), {3}, "fc");
  check_graph_gradients(net, test_tensor(Shape{2, 2, 4, 4}, 6), 2);
}

TEST_CASE("graph: state names are the PyTorch module paths, or indices when unnamed") {
  Rng rng(1, RngStream::init);
  Graph net;
  net.add(build(linear(3, 3), rng), {Graph::kNetworkInput}, "layer1.0.conv1");
  net.add(build(linear(3, 3), rng));  // the stack API: takes node 0, named "1"
  net.add(std::make_unique<Add>(), {0, 1}, "");
  net.add(build(linear(3, 2), rng), {2}, "fc");
  TensorCollector state;
  net.visit_state(state);
  CHECK(state.names == std::vector<std::string>{"layer1.0.conv1.weight", "layer1.0.conv1.bias",
                                                "1.weight", "1.bias", "fc.weight", "fc.bias"});
  CHECK(net.key(1) == "1");
  CHECK(net.find("fc") == 3);
  CHECK(net.find("2") == 2);
  CHECK(net.find("nope") == -1);
  CHECK(net.inputs(2) == std::vector<int32_t>{0, 1});
}

TEST_CASE("graph: Graph::add refuses bad names, inputs and shapes, naming the node") {
  Rng rng(1, RngStream::init);
  Graph net;
  net.add(build(linear(3, 4), rng), {Graph::kNetworkInput}, "a");
  std::string message;
  const auto add = [&](std::unique_ptr<Layer> layer, std::vector<int32_t> inputs,
                       const std::string &name) {
    return status_of([&] { net.add(std::move(layer), inputs, name); }, &message);
  };
  CHECK(add(build(linear(4, 4), rng), {0}, "a") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(message.find("layer 0 \"a\" (Linear) already has that name") != std::string::npos);
  CHECK(add(build(linear(4, 4), rng), {0}, "bad name") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(message.find("other than letters, digits") != std::string::npos);
  CHECK(add(build(linear(4, 4), rng), {0}, "x..y") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(add(build(linear(4, 4), rng), {0}, ".x") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(add(build(linear(4, 4), rng), {0}, std::string(129, 'n')) == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(add(build(linear(4, 4), rng), {1}, "") == NNSTATE_ERR_INVALID_ARGUMENT);  // not earlier
  CHECK(message.find("not an earlier layer") != std::string::npos);
  CHECK(add(build(linear(4, 4), rng), {-2}, "") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(add(build(linear(4, 4), rng), {0, 0}, "") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(message.find("takes one input, got 2") != std::string::npos);
  CHECK(add(std::make_unique<Add>(), {0}, "") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(message.find("two or more inputs") != std::string::npos);
  CHECK(add(std::make_unique<Add>(), {0, Graph::kNetworkInput}, "") == NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(message.find("Add needs inputs of one shape, got [1, 4], [1, 3]") != std::string::npos);
  CHECK(add(build(linear(3, 2), rng), {0}, "") == NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(message.find("expects samples of shape [3] but layer 0 \"a\" (Linear) produces [4]") !=
        std::string::npos);
  CHECK(add(std::make_unique<Concat>(0), {0, 0}, "") == NNSTATE_ERR_SHAPE_MISMATCH);  // batch
  CHECK(net.size() == 1);  // nothing refused was added
  CHECK(add(std::make_unique<Concat>(1), {0, 0}, "twice") == NNSTATE_OK);
  CHECK(net.sample_output_shape() == Shape{8});
  // An unnamed node's key is its index, so a name may not take another node's index.
  CHECK(add(build(linear(8, 8), rng), {1}, "") == NNSTATE_OK);  // key "2"
  CHECK(add(build(linear(8, 8), rng), {2}, "2") == NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(message.find("layer 3 cannot be named \"2\": layer 2 (Linear) already has that name") !=
        std::string::npos);
  CHECK(add(build(linear(8, 8), rng), {2}, "4") == NNSTATE_OK);                   // node 3, key "4"
  CHECK(add(build(linear(8, 8), rng), {3}, "") == NNSTATE_ERR_INVALID_ARGUMENT);  // index 4
  CHECK(net.size() == 4);
}

TEST_CASE("graph: a node the output does not depend on is refused before running") {
  Rng rng(1, RngStream::init);
  Graph net;
  net.add(build(linear(3, 4), rng), {Graph::kNetworkInput}, "used");
  net.add(build(linear(3, 4), rng), {Graph::kNetworkInput}, "dangling");
  net.add(build(linear(4, 2), rng), {0}, "head");
  Tensor x = test_tensor(Shape{2, 3}, 1);
  std::string message;
  CHECK(status_of([&] { net.forward(x.data(), 2, RunContext{}); }, &message) == NNSTATE_ERR_STATE);
  CHECK(message.find("layer 1 \"dangling\" (Linear) is not an input of any later layer") !=
        std::string::npos);

  // The check runs once per change of the graph: a node added after a run is checked again.
  Graph stack;
  stack.add(build(linear(3, 4), rng), {Graph::kNetworkInput}, "first");
  CHECK(status_of([&] { stack.forward(x.data(), 2, RunContext{}); }) == NNSTATE_OK);
  stack.add(build(linear(3, 2), rng), {Graph::kNetworkInput}, "second");  // leaves "first" unused
  CHECK(status_of([&] { stack.forward(x.data(), 2, RunContext{}); }, &message) ==
        NNSTATE_ERR_STATE);
  CHECK(message.find("\"first\"") != std::string::npos);
}

TEST_CASE("graph: shape-preserving nodes before the input shape is known, as for a stack") {
  Rng rng(1, RngStream::init);
  Graph net;
  net.add(build(kind_config(LayerKind::relu), rng));
  std::string message;
  CHECK(status_of(
            [&] {
              net.add(std::make_unique<Add>(), {0, Graph::kNetworkInput}, "");
            },
            &message) == NNSTATE_ERR_STATE);
  CHECK(message.find("set the sample input shape first") != std::string::npos);
  net.add(build(linear(5, 2), rng), {0}, "fc");  // fixes the input shape: [5]
  CHECK(net.sample_input_shape() == Shape{5});
  CHECK(net.node_sample_output_shape(0) == Shape{5});
  CHECK(net.sample_output_shape() == Shape{2});
}

TEST_CASE("check_graph refuses what Graph::add refuses, naming the file's layer") {
  const LayerConfig a = linear(3, 3);
  const LayerConfig add = kind_config(LayerKind::add);
  const auto check = [](const std::vector<LayerConfig> &layers, const std::vector<NodeLinks> &links,
                        std::string *message) {
    return status_of([&] { checkpoint::check_graph(layers, links, Shape{3}, "f.nnst", 1 << 20); },
                     message);
  };
  std::string message;
  CHECK(check({a, a, add}, {{"x", {-1}}, {"y", {0}}, {"", {0, 1}}}, &message) == NNSTATE_OK);
  CHECK(check({a, a, add}, {{"x", {-1}}, {"x", {0}}, {"", {0, 1}}}, &message) ==
        NNSTATE_ERR_CORRUPT);
  CHECK(message.find("has the name \"x\" of layer 0") != std::string::npos);
  CHECK(check({a, a, add}, {{"", {-1}}, {"0", {0}}, {"", {0, 1}}}, &message) ==
        NNSTATE_ERR_CORRUPT);  // node 0 is unnamed: its key is "0"
  CHECK(message.find("layer 1 (Linear) has the name \"0\" of layer 0 (Linear)") !=
        std::string::npos);
  CHECK(check({a, a, add}, {{"1", {-1}}, {"", {0}}, {"", {0, 1}}}, &message) ==
        NNSTATE_ERR_CORRUPT);
  CHECK(check({a, a, add}, {{"01", {-1}}, {"2", {0}}, {"", {0, 1}}}, &message) ==
        NNSTATE_ERR_CORRUPT);  // "2" is node 2's key; "01" is no index
  CHECK(message.find("has the name \"2\" of layer 2") != std::string::npos);
  CHECK(check({a, a}, {}, &message) == NNSTATE_OK);  // no links: a stack
  CHECK(check({a, a, add}, {{"", {-1}}, {"", {2}}, {"", {0, 1}}}, &message) == NNSTATE_ERR_CORRUPT);
  CHECK(message.find("takes input 2, which is not an earlier layer") != std::string::npos);
  CHECK(check({a, a, add}, {{"", {-1}}, {"", {0}}, {"", {1}}}, &message) == NNSTATE_ERR_CORRUPT);
  CHECK(message.find("takes two or more inputs, the file gives 1") != std::string::npos);
  CHECK(check({a, a, a}, {{"", {-1}}, {"", {-1}}, {"", {1}}}, &message) == NNSTATE_ERR_CORRUPT);
  CHECK(message.find("layer 0 (Linear) is not an input of any later layer") != std::string::npos);
  CHECK(check({a, a}, {{"a/b", {-1}}, {"", {0}}}, &message) == NNSTATE_ERR_CORRUPT);
  CHECK(check({a, a}, {{"", {-1}}, {"", {}}}, &message) == NNSTATE_ERR_CORRUPT);
  LayerConfig wide = linear(3, 5);
  CHECK(check({a, wide, add}, {{"", {-1}}, {"", {-1}}, {"", {0, 1}}}, &message) ==
        NNSTATE_ERR_CORRUPT);
  CHECK(message.find("Add needs inputs of one shape") != std::string::npos);
}
