// The JSON codec of layer configurations (layers/layer_json.h): every kind survives
// config -> JSON -> config with non-default values, absent arguments take PyTorch's defaults,
// and node descriptions resolve their inputs against the graph.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "layers/factory.h"
#include "layers/graph.h"
#include "layers/layer_json.h"
#include "util/error.h"

namespace nnstate {
namespace {

LayerConfig of_kind(LayerKind kind) {
  LayerConfig c;
  c.kind = kind;
  return c;
}

// One configuration per kind, with every argument of the kind away from its default.
std::vector<LayerConfig> configs_of_every_kind() {
  std::vector<LayerConfig> all;
  LayerConfig c = of_kind(LayerKind::linear);
  c.in_features = 7;
  c.out_features = 3;
  c.bias = false;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::relu));
  c = of_kind(LayerKind::leaky_relu);
  c.negative_slope = 0.2f;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::tanh));
  all.push_back(of_kind(LayerKind::sigmoid));
  c = of_kind(LayerKind::gelu);
  c.gelu_tanh = true;
  all.push_back(c);
  c = of_kind(LayerKind::conv2d);
  c.in_channels = 4;
  c.out_channels = 6;
  c.kernel_size = {3, 5};
  c.stride = {2, 1};
  c.padding = {1, 2};
  c.dilation = {2, 3};
  c.groups = 2;
  c.bias = false;
  all.push_back(c);
  c = of_kind(LayerKind::conv2d);
  c.in_channels = 1;
  c.out_channels = 2;
  c.kernel_size = {3, 3};
  c.padding_same = true;
  all.push_back(c);
  c = of_kind(LayerKind::max_pool2d);
  c.kernel_size = {3, 2};
  c.stride = {1, 2};
  c.padding = {1, 1};
  c.dilation = {2, 1};
  all.push_back(c);
  c = of_kind(LayerKind::max_pool2d);
  c.kernel_size = {2, 2};
  c.stride = {0, 0};  // None: kernel_size
  all.push_back(c);
  c = of_kind(LayerKind::flatten);
  c.start_dim = 2;
  c.end_dim = -2;
  all.push_back(c);
  for (LayerKind kind : {LayerKind::batch_norm1d, LayerKind::batch_norm2d}) {
    c = of_kind(kind);
    c.num_features = 5;
    c.eps = 1e-3;
    c.momentum = 0.25;
    c.affine = false;
    c.track_running_stats = false;
    all.push_back(c);
  }
  c = of_kind(LayerKind::dropout);
  c.p = 0.125;
  all.push_back(c);
  c = of_kind(LayerKind::layer_norm);
  c.normalized_shape = Shape{2, 3, 4};
  c.eps = 1e-6;
  c.affine = false;
  all.push_back(c);
  c = of_kind(LayerKind::avg_pool2d);
  c.kernel_size = {2, 3};
  c.stride = {1, 1};
  c.padding = {1, 0};
  c.count_include_pad = false;
  all.push_back(c);
  c = of_kind(LayerKind::adaptive_avg_pool2d);
  c.output_size = {2, 3};
  all.push_back(c);
  all.push_back(of_kind(LayerKind::identity));
  c = of_kind(LayerKind::softmax);
  c.dim = 1;
  all.push_back(c);
  c = of_kind(LayerKind::log_softmax);
  c.dim = -2;
  all.push_back(c);
  c = of_kind(LayerKind::embedding);
  c.num_embeddings = 10;
  c.embedding_dim = 4;
  c.has_padding_idx = true;
  c.padding_idx = 3;
  all.push_back(c);
  c = of_kind(LayerKind::dropout2d);
  c.p = 0.75;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::add));
  c = of_kind(LayerKind::concat);
  c.dim = -1;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::multiply));
  return all;
}

LayerConfig parsed(const std::string &text) {
  return parse_layer_config_json(text, "test");
}

TEST_CASE("layer JSON: every kind survives config -> JSON -> config") {
  std::set<int32_t> kinds;
  for (const LayerConfig &config : configs_of_every_kind()) {
    const std::string text = layer_config_json(config);
    CAPTURE(text);
    CHECK(parsed(text) == config);
    CHECK(layer_config_json(parsed(text)) == text);
    kinds.insert(static_cast<int32_t>(config.kind));
  }
  for (int32_t kind = 1; kind <= 23; ++kind) CHECK(kinds.count(kind) == 1);
}

TEST_CASE("layer JSON: PyTorch's argument names, and square pairs as one int") {
  LayerConfig conv = of_kind(LayerKind::conv2d);
  conv.in_channels = 3;
  conv.out_channels = 8;
  conv.kernel_size = {3, 3};
  conv.stride = {2, 1};
  CHECK(layer_config_json(conv) ==
        R"({"kind":"Conv2d","in_channels":3,"out_channels":8,"kernel_size":3,"stride":[2,1],)"
        R"("padding":0,"dilation":1,"groups":1,"bias":true})");
  LayerConfig slope = of_kind(LayerKind::leaky_relu);
  slope.negative_slope = 0.01f;  // written as the shortest decimal of the float
  CHECK(layer_config_json(slope) == R"({"kind":"LeakyReLU","negative_slope":0.01})");
  CHECK(layer_config_json(of_kind(LayerKind::embedding)).find(R"("padding_idx":null)") !=
        std::string::npos);
}

TEST_CASE("layer JSON: absent arguments take PyTorch's defaults") {
  LayerConfig conv = parsed(R"({"kind": "Conv2d", "in_channels": 3, "out_channels": 8,
                                "kernel_size": [3, 1], "padding": "same"})");
  CHECK(conv.kernel_size == Size2{3, 1});
  CHECK(conv.stride == Size2{1, 1});
  CHECK(conv.padding_same);
  CHECK(conv.groups == 1);
  CHECK(conv.bias);
  CHECK(parsed(R"({"kind": "Conv2d", "in_channels": 3, "out_channels": 8, "kernel_size": 3,
                   "padding": "valid"})")
            .padding == Size2{0, 0});
  CHECK(parsed(R"({"kind": "MaxPool2d", "kernel_size": 2})").stride == Size2{0, 0});
  CHECK(parsed(R"({"kind": "AvgPool2d", "kernel_size": 2, "stride": null})").stride == Size2{0, 0});
  const LayerConfig bn = parsed(R"({"kind": "BatchNorm2d", "num_features": 4})");
  CHECK(bn.eps == 1e-5);
  CHECK(bn.momentum == 0.1);
  CHECK(bn.affine);
  CHECK(bn.track_running_stats);
  CHECK(parsed(R"({"kind": "Dropout"})").p == 0.5);
  CHECK(parsed(R"({"kind": "LeakyReLU"})").negative_slope == 0.01f);
  CHECK_FALSE(parsed(R"({"kind": "GELU"})").gelu_tanh);
  CHECK(parsed(R"({"kind": "LayerNorm", "normalized_shape": 6})").normalized_shape == Shape{6});
  CHECK(parsed(R"({"kind": "Concat"})").dim == 1);
  CHECK(parsed(R"({"kind": "Softmax"})").dim == -1);
  CHECK_FALSE(
      parsed(R"({"kind": "Embedding", "num_embeddings": 3, "embedding_dim": 2})").has_padding_idx);
  const LayerConfig flatten = parsed(R"({"kind": "Flatten"})");
  CHECK(flatten.start_dim == 1);
  CHECK(flatten.end_dim == -1);
}

TEST_CASE("layer JSON: a config alone takes no node fields") {
  CHECK_THROWS_WITH_AS(parsed(R"({"kind": "ReLU", "name": "r"})"),
                       "test (ReLU): unknown field \"name\" (it takes none)", Error);
}

TEST_CASE("node JSON: inputs by index or key, default the previous node") {
  Graph graph;
  graph.set_sample_input_shape(Shape{4});
  NodeDescription first = parse_node_json(
      R"({"kind": "Linear", "name": "fc1", "in_features": 4, "out_features": 4})", graph);
  CHECK(first.name == "fc1");
  CHECK(first.inputs == std::vector<int32_t>{Graph::kNetworkInput});
  graph.add(make_layer(first.config, nullptr), first.inputs, first.name);
  NodeDescription second = parse_node_json(R"({"kind": "ReLU"})", graph);
  CHECK(second.inputs == std::vector<int32_t>{0});
  graph.add(make_layer(second.config, nullptr), second.inputs, second.name);
  NodeDescription sum = parse_node_json(R"({"kind": "Add", "inputs": ["fc1", 1, -1, "1"]})", graph);
  CHECK(sum.inputs == std::vector<int32_t>{0, 1, -1, 1});
  graph.add(make_layer(sum.config, nullptr), sum.inputs, sum.name);
  CHECK(node_json(graph, 2) == R"({"kind":"Add","inputs":["fc1",1,-1,1]})");
  CHECK(node_json(graph, 0) ==
        R"({"kind":"Linear","name":"fc1","inputs":[-1],"in_features":4,"out_features":4,)"
        R"("bias":true})");
}

TEST_CASE("node JSON: the first node may take only the network input, refused by its field") {
  Graph graph;
  graph.set_sample_input_shape(Shape{4});
  CHECK(parse_node_json(R"({"kind": "ReLU", "inputs": [-1]})", graph).inputs ==
        std::vector<int32_t>{Graph::kNetworkInput});
  CHECK_THROWS_WITH_AS(parse_node_json(R"({"kind": "ReLU", "inputs": [0]})", graph),
                       doctest::Contains("field \"inputs\": 0 is out of range [-1, -1]"), Error);
}

}  // namespace
}  // namespace nnstate
