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
  LayerConfig c;
  c.kind = static_cast<LayerKind>(pick(1, 13));
  c.in_features = pick(-1, 6);
  c.out_features = pick(0, 6);
  c.bias = pick(0, 1) == 1;
  c.in_channels = pick(0, 6);
  c.out_channels = pick(0, 6);
  c.groups = pick(0, 3);
  c.kernel_size = {pick(0, 4), pick(0, 4)};
  c.stride = {pick(0, 3), pick(0, 3)};
  if (pick(0, 3) == 0) c.stride = {0, 0};
  c.padding = {pick(-1, 2), pick(-1, 2)};
  c.dilation = {pick(0, 2), pick(0, 2)};
  c.num_features = pick(0, 5);
  c.affine = pick(0, 1) == 1;
  c.track_running_stats = pick(0, 1) == 1;
  c.p = static_cast<double>(pick(-1, 10)) / 10.0;
  c.start_dim = static_cast<int32_t>(pick(-5, 4));
  c.end_dim = static_cast<int32_t>(pick(-5, 4));
  c.normalized_shape.rank = static_cast<int32_t>(pick(0, 4));
  for (int d = 0; d < c.normalized_shape.rank; ++d) c.normalized_shape.dims[d] = pick(0, 4);
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
    INFO("kind " << static_cast<int>(c.kind) << " case " << i);
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
      LayerConfig c;
      c.kind = LayerKind::relu;
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
  LayerConfig linear;
  linear.kind = LayerKind::linear;
  linear.in_features = 4;
  linear.out_features = 4;
  model.add_layer(linear);
  LayerConfig relu;
  relu.kind = LayerKind::relu;
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
  LayerConfig linear;
  linear.kind = LayerKind::linear;
  linear.in_features = linear.out_features = INT32_MAX;
  LayerConfig conv;
  conv.kind = LayerKind::conv2d;
  conv.in_channels = conv.out_channels = INT32_MAX;
  conv.kernel_size = {1, 1};
  LayerConfig norm;
  norm.kind = LayerKind::batch_norm2d;
  norm.num_features = INT32_MAX;
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
