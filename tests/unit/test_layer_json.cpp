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
  return LayerConfig(kind);
}

// One configuration per kind, with every argument of the kind away from its default.
std::vector<LayerConfig> configs_of_every_kind() {
  std::vector<LayerConfig> all;
  LayerConfig c(LayerKind::linear);
  auto &o = c.as<LinearConfig>();
  o.in_features = 7;
  o.out_features = 3;
  o.bias = false;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::relu));
  c = of_kind(LayerKind::leaky_relu);
  c.as<LeakyReLUConfig>().negative_slope = 0.2f;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::tanh));
  all.push_back(of_kind(LayerKind::sigmoid));
  c = of_kind(LayerKind::gelu);
  c.as<GELUConfig>().tanh_approximation = true;
  all.push_back(c);
  c = of_kind(LayerKind::conv2d);
  c.as<Conv2dConfig>().in_channels = 4;
  c.as<Conv2dConfig>().out_channels = 6;
  c.as<Conv2dConfig>().kernel_size = {3, 5};
  c.as<Conv2dConfig>().stride = {2, 1};
  c.as<Conv2dConfig>().padding = {1, 2};
  c.as<Conv2dConfig>().dilation = {2, 3};
  c.as<Conv2dConfig>().groups = 2;
  c.as<Conv2dConfig>().bias = false;
  all.push_back(c);
  c = of_kind(LayerKind::conv2d);
  c.as<Conv2dConfig>().in_channels = 1;
  c.as<Conv2dConfig>().out_channels = 2;
  c.as<Conv2dConfig>().kernel_size = {3, 3};
  c.as<Conv2dConfig>().padding_same = true;
  all.push_back(c);
  c = of_kind(LayerKind::max_pool2d);
  c.as<MaxPool2dConfig>().kernel_size = {3, 2};
  c.as<MaxPool2dConfig>().stride = {1, 2};
  c.as<MaxPool2dConfig>().padding = {1, 1};
  c.as<MaxPool2dConfig>().dilation = {2, 1};
  all.push_back(c);
  c = of_kind(LayerKind::max_pool2d);
  c.as<MaxPool2dConfig>().kernel_size = {2, 2};
  c.as<MaxPool2dConfig>().stride = {0, 0};  // None: kernel_size
  all.push_back(c);
  c = of_kind(LayerKind::flatten);
  c.as<FlattenConfig>().start_dim = 2;
  c.as<FlattenConfig>().end_dim = -2;
  all.push_back(c);
  for (LayerKind kind : {LayerKind::batch_norm1d, LayerKind::batch_norm2d}) {
    c = of_kind(kind);
    c.as<BatchNormConfig>() = {5, 1e-3, 0.25, false, false};
    all.push_back(c);
  }
  c = of_kind(LayerKind::dropout);
  c.as<DropoutConfig>().p = 0.125;
  all.push_back(c);
  c = of_kind(LayerKind::layer_norm);
  c.as<LayerNormConfig>().normalized_shape = Shape{2, 3, 4};
  c.as<LayerNormConfig>().eps = 1e-6;
  c.as<LayerNormConfig>().affine = false;
  all.push_back(c);
  c = of_kind(LayerKind::avg_pool2d);
  c.as<AvgPool2dConfig>().kernel_size = {2, 3};
  c.as<AvgPool2dConfig>().stride = {1, 1};
  c.as<AvgPool2dConfig>().padding = {1, 0};
  c.as<AvgPool2dConfig>().count_include_pad = false;
  all.push_back(c);
  c = of_kind(LayerKind::adaptive_avg_pool2d);
  c.as<AdaptiveAvgPool2dConfig>().output_size = {2, 3};
  all.push_back(c);
  all.push_back(of_kind(LayerKind::identity));
  c = of_kind(LayerKind::softmax);
  c.as<SoftmaxConfig>().dim = 1;
  all.push_back(c);
  c = of_kind(LayerKind::log_softmax);
  c.as<SoftmaxConfig>().dim = -2;
  all.push_back(c);
  c = of_kind(LayerKind::embedding);
  c.as<EmbeddingConfig>().num_embeddings = 10;
  c.as<EmbeddingConfig>().embedding_dim = 4;
  c.as<EmbeddingConfig>().has_padding_idx = true;
  c.as<EmbeddingConfig>().padding_idx = 3;
  all.push_back(c);
  c = of_kind(LayerKind::dropout2d);
  c.as<DropoutConfig>().p = 0.75;
  all.push_back(c);
  all.push_back(of_kind(LayerKind::add));
  c = of_kind(LayerKind::concat);
  c.as<ConcatConfig>().dim = -1;
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
    kinds.insert(static_cast<int32_t>(config.kind()));
  }
  for (int32_t kind = 1; kind <= 23; ++kind) CHECK(kinds.count(kind) == 1);
}

TEST_CASE("layer JSON: PyTorch's argument names, and square pairs as one int") {
  LayerConfig conv(LayerKind::conv2d);
  auto &conv_o = conv.as<Conv2dConfig>();
  conv_o.in_channels = 3;
  conv_o.out_channels = 8;
  conv_o.kernel_size = {3, 3};
  conv_o.stride = {2, 1};
  CHECK(layer_config_json(conv) ==
        R"({"kind":"Conv2d","in_channels":3,"out_channels":8,"kernel_size":3,"stride":[2,1],)"
        R"("padding":0,"dilation":1,"groups":1,"bias":true})");
  LayerConfig slope(LayerKind::leaky_relu);
  auto &slope_o = slope.as<LeakyReLUConfig>();
  slope_o.negative_slope = 0.01f;  // written as the shortest decimal of the float
  CHECK(layer_config_json(slope) == R"({"kind":"LeakyReLU","negative_slope":0.01})");
  CHECK(layer_config_json(of_kind(LayerKind::embedding)).find(R"("padding_idx":null)") !=
        std::string::npos);
}

TEST_CASE("layer JSON: absent arguments take PyTorch's defaults") {
  LayerConfig conv = parsed(R"({"kind": "Conv2d", "in_channels": 3, "out_channels": 8,
                                "kernel_size": [3, 1], "padding": "same"})");
  CHECK(conv.as<Conv2dConfig>().kernel_size == Size2{3, 1});
  CHECK(conv.as<Conv2dConfig>().stride == Size2{1, 1});
  CHECK(conv.as<Conv2dConfig>().padding_same);
  CHECK(conv.as<Conv2dConfig>().groups == 1);
  CHECK(conv.as<Conv2dConfig>().bias);
  CHECK(parsed(R"({"kind": "Conv2d", "in_channels": 3, "out_channels": 8, "kernel_size": 3,
                   "padding": "valid"})")
            .as<Conv2dConfig>()
            .padding == Size2{0, 0});
  CHECK(parsed(R"({"kind": "MaxPool2d", "kernel_size": 2})").as<MaxPool2dConfig>().stride ==
        Size2{0, 0});
  CHECK(parsed(R"({"kind": "AvgPool2d", "kernel_size": 2, "stride": null})")
            .as<AvgPool2dConfig>()
            .stride == Size2{0, 0});
  const LayerConfig bn = parsed(R"({"kind": "BatchNorm2d", "num_features": 4})");
  CHECK(bn.as<BatchNormConfig>().eps == 1e-5);
  CHECK(bn.as<BatchNormConfig>().momentum == 0.1);
  CHECK(bn.as<BatchNormConfig>().affine);
  CHECK(bn.as<BatchNormConfig>().track_running_stats);
  CHECK(parsed(R"({"kind": "Dropout"})").as<DropoutConfig>().p == 0.5);
  CHECK(parsed(R"({"kind": "LeakyReLU"})").as<LeakyReLUConfig>().negative_slope == 0.01f);
  CHECK_FALSE(parsed(R"({"kind": "GELU"})").as<GELUConfig>().tanh_approximation);
  CHECK(parsed(R"({"kind": "LayerNorm", "normalized_shape": 6})")
            .as<LayerNormConfig>()
            .normalized_shape == Shape{6});
  CHECK(parsed(R"({"kind": "Concat"})").as<ConcatConfig>().dim == 1);
  CHECK(parsed(R"({"kind": "Softmax"})").as<SoftmaxConfig>().dim == -1);
  CHECK_FALSE(parsed(R"({"kind": "Embedding", "num_embeddings": 3, "embedding_dim": 2})")
                  .as<EmbeddingConfig>()
                  .has_padding_idx);
  const LayerConfig flatten = parsed(R"({"kind": "Flatten"})");
  CHECK(flatten.as<FlattenConfig>().start_dim == 1);
  CHECK(flatten.as<FlattenConfig>().end_dim == -1);
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
