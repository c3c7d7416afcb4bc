// The reader checks architectures by arithmetic over each layer kind's declarations
// (checkpoint/declarations.h) instead of building layers: they must agree with the layers
// themselves on which configurations are valid, which tensors exist and every output shape.
// Also: the chain check and Graph::add take one step per layer (linear validation).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>

#include "checkpoint/architecture.h"
#include "checkpoint_craft.h"
#include "layers/factory.h"
#include "layers/graph.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;

namespace {

// The Error status of f(), or OK.
template <typename F>
nnstate_status status_of(F f) {
  try {
    f();
  } catch (const Error &e) {
    return e.status();
  }
  return NNSTATE_OK;
}

LayerConfig random_config(std::mt19937 &g) {
  auto pick = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(g);
  };
  LayerConfig c(static_cast<LayerKind>(pick(1, 13)));
  // Every value is drawn, then given to the kind that has it.
  const int64_t in_features = pick(-1, 6), out_features = pick(0, 6);
  const bool bias = pick(0, 1) == 1;
  const int64_t in_channels = pick(0, 6), out_channels = pick(0, 6), groups = pick(0, 3);
  const Size2 kernel_size{pick(0, 4), pick(0, 4)};
  Size2 stride{pick(0, 3), pick(0, 3)};
  if (pick(0, 3) == 0) stride = {0, 0};
  const Size2 padding{pick(-1, 2), pick(-1, 2)}, dilation{pick(0, 2), pick(0, 2)};
  const int64_t num_features = pick(0, 5);
  const bool affine = pick(0, 1) == 1, track_running_stats = pick(0, 1) == 1;
  const double p = static_cast<double>(pick(-1, 10)) / 10.0;
  const int32_t start_dim = static_cast<int32_t>(pick(-5, 4));
  const int32_t end_dim = static_cast<int32_t>(pick(-5, 4));
  Shape normalized_shape;
  normalized_shape.rank = static_cast<int32_t>(pick(0, 4));
  for (int d = 0; d < normalized_shape.rank; ++d) normalized_shape.dims[d] = pick(0, 4);
  switch (c.kind()) {
    case LayerKind::linear:
      c.as<LinearConfig>() = {in_features, out_features, bias};
      break;
    case LayerKind::conv2d: {
      auto &o = c.as<Conv2dConfig>();
      o.in_channels = in_channels;
      o.out_channels = out_channels;
      o.groups = groups;
      o.kernel_size = kernel_size;
      o.stride = stride;
      o.padding = padding;
      o.dilation = dilation;
      o.bias = bias;
      break;
    }
    case LayerKind::max_pool2d:
      c.as<MaxPool2dConfig>() = {kernel_size, stride, padding, dilation};
      break;
    case LayerKind::flatten:
      c.as<FlattenConfig>() = {start_dim, end_dim};
      break;
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d: {
      auto &o = c.as<BatchNormConfig>();
      o.num_features = num_features;
      o.affine = affine;
      o.track_running_stats = track_running_stats;
      break;
    }
    case LayerKind::dropout:
      c.as<DropoutConfig>().p = p;
      break;
    case LayerKind::layer_norm: {
      auto &o = c.as<LayerNormConfig>();
      o.normalized_shape = normalized_shape;
      o.affine = affine;
      break;
    }
    default:
      break;
  }
  return c;
}

Shape random_input(std::mt19937 &g) {
  auto pick = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(g);
  };
  Shape s;
  s.rank = static_cast<int32_t>(pick(1, 4));
  for (int d = 0; d < s.rank; ++d) s.dims[d] = pick(1, 7);
  return s;
}

}  // namespace

TEST_CASE("declarations: every layer kind's arithmetic agrees with the built layer") {
  std::mt19937 g(20261201);
  int valid = 0, shapes_checked = 0;
  for (int i = 0; i < 20000; ++i) {
    const LayerConfig c = random_config(g);
    std::unique_ptr<Layer> layer;
    const nnstate_status built = status_of([&] { layer = make_layer(c, nullptr); });
    INFO("kind " << static_cast<int>(c.kind()) << " case " << i);
    REQUIRE((built == NNSTATE_OK) == (status_of([&] { check_layer_config(c); }) == NNSTATE_OK));
    if (!layer) continue;
    ++valid;
    struct Walk : StateVisitor {
      std::vector<ExpectedTensor> seen;
      void tensor(const std::string &name, TensorRole role, Tensor &v, Tensor *) override {
        seen.push_back({name, role, v.shape()});
      }
    } walk;
    layer->visit_tensors("5.", walk);
    const auto declared = declared_tensors(c, "5.");
    REQUIRE(declared.size() == walk.seen.size());
    for (size_t j = 0; j < declared.size(); ++j) {
      CHECK(declared[j].name == walk.seen[j].name);
      CHECK(declared[j].role == walk.seen[j].role);
      CHECK(declared[j].shape == walk.seen[j].shape);
    }
    CHECK(declared_required_sample_shape(c) == layer->required_sample_shape());
    CHECK(declared_preserves_shape(c) == layer->preserves_shape());
    for (int k = 0; k < 8; ++k) {
      const Shape input = random_input(g);
      Shape real, arithmetic;
      const nnstate_status a = status_of([&] { real = layer->output_shape(input); });
      const nnstate_status b = status_of([&] { arithmetic = declared_output_shape(c, input); });
      INFO("input " << input.to_string());
      CHECK(a == b);
      if (a == NNSTATE_OK && b == NNSTATE_OK) {
        CHECK(real == arithmetic);
        ++shapes_checked;
      }
    }
  }
  // The random configurations reach every kind's valid cases and many accepted shapes.
  CHECK(valid > 2000);
  CHECK(shapes_checked > 2000);
}

TEST_CASE("declarations: Graph::add computes one output shape per added layer") {
  struct Counting final : Layer {
    int64_t *calls;
    explicit Counting(int64_t *c) : calls(c) {}
    LayerConfig config() const override {
      LayerConfig c(LayerKind::relu);
      return c;
    }
    Shape output_shape(const Shape &input) const override {
      ++*calls;
      return input;
    }
    bool preserves_shape() const override { return true; }
    void forward(const Tensor &, Tensor &, const RunContext &) override {}
    void backward(const Tensor &, const Tensor &, const Tensor &, Tensor *) override {}
  };
  for (int64_t n : {1000, 4000}) {
    int64_t calls = 0;
    Graph network;
    network.set_sample_input_shape(Shape{3});
    for (int64_t i = 0; i < n; ++i) network.add(std::make_unique<Counting>(&calls));
    CHECK(network.sample_output_shape() == Shape{3});
    CHECK(calls == n);  // recomputing the chain on every add would take n (n + 1) / 2
  }
}

TEST_CASE("declarations: 100,000 ReLU layers validate in one step each and load on every path") {
  const size_t n = 100000;
  Model model(3);
  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = 4;
  linear_o.out_features = 4;
  model.add_layer(linear);
  LayerConfig relu(LayerKind::relu);
  for (size_t i = 0; i < n; ++i) model.add_layer(relu);
  const auto bytes = ckpt_craft::save_bytes(model);
  MemorySource source(bytes.data(), bytes.size(), false, "<deep>");

  const uint64_t before = chain_shape_steps();
  const Contents c = read_contents(source);
  CHECK(chain_shape_steps() - before == n + 1);
  CHECK(c.layers.size() == n + 1);
  verify_data(source, c);
  auto rebuilt = load(source, LoadOptions{});
  CHECK(rebuilt->network().size() == n + 1);
  load_into(*rebuilt, source, LoadOptions{});
}

TEST_CASE("declarations: the tensors of the largest valid layers are declared without storage") {
  // Through the state visitor as the built layers report them, but as shapes alone: building
  // these would need exabytes.
  LayerConfig linear(LayerKind::linear);
  auto &linear_o = linear.as<LinearConfig>();
  linear_o.in_features = linear_o.out_features = INT32_MAX;
  LayerConfig conv(LayerKind::conv2d);
  auto &conv_o = conv.as<Conv2dConfig>();
  conv_o.in_channels = conv_o.out_channels = INT32_MAX;
  conv_o.kernel_size = {1, 1};
  LayerConfig norm(LayerKind::batch_norm2d);
  auto &norm_o = norm.as<BatchNormConfig>();
  norm_o.num_features = INT32_MAX;
  for (const LayerConfig &c : {linear, conv, norm}) {
    check_layer_config(c);
    const auto declared = declared_tensors(c, "big.");
    REQUIRE(!declared.empty());
    CHECK(declared[0].name == "big.weight");
    CHECK(declared[0].shape[0] == INT32_MAX);
  }
  const Tensor shape_only = Tensor::declaration(Shape{INT32_MAX, INT32_MAX, INT32_MAX});
  CHECK(shape_only.data() == nullptr);
  CHECK(shape_only.numel() == 0);
  CHECK(shape_only.shape() == Shape{INT32_MAX, INT32_MAX, INT32_MAX});
}
