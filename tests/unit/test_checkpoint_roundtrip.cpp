// Save → read back: every manifest field, every tensor bit, rebuild and strict load.
#include <doctest/doctest.h>

#include <functional>

#include "checkpoint/architecture.h"
#include "layers/factory.h"
#include "test_checkpoint_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;
using namespace ckpt_test;

TEST_CASE("checkpoint round trip keeps every field and every bit") {
  auto model = small_model(3);
  SaveOptions options;
  options.metadata = {{"lr", "0.01"}, {"run", "unit test"}, {"empty", ""}};
  auto bytes = to_bytes(*model, options);
  MemorySource source(bytes.data(), bytes.size(), false, "<memory>");
  Contents c = read_contents(source);
  verify_data(source, c);

  CHECK(c.format_major == 1);
  CHECK(c.format_minor == 3);
  CHECK(c.writer_version == NNSTATE_VERSION_STRING);
  CHECK(c.created_unix_ns > 0);
  CHECK(!c.environment.blas_core_type.empty());
  CHECK(c.environment.blas_threads >= 1);
  REQUIRE(c.layers.size() == 3);
  CHECK(c.layers[0].kind == LayerKind::linear);
  CHECK(c.layers[0].in_features == 4);
  CHECK(c.layers[0].out_features == 8);
  CHECK(c.layers[1].kind == LayerKind::relu);
  CHECK(c.layers[2].out_features == 3);
  CHECK(c.loss == static_cast<int32_t>(LossKind::mse));
  CHECK(c.seed == 42);
  CHECK(c.has_optimizer);
  CHECK(c.optimizer.kind == OptimizerKind::adam);
  CHECK(c.optimizer.lr == 0.01);
  CHECK(c.optimizer.beta2 == 0.999);
  CHECK(c.optimizer_step() == 3);
  REQUIRE(c.param_states.size() == 4);
  CHECK(c.param_states[0].param == "0.weight");
  CHECK(c.param_states[0].tensors.size() == 2);
  CHECK(c.metadata == options.metadata);
  REQUIRE(c.rng.size() == 2);
  CHECK(c.rng[0] == model->init_rng().state());
  CHECK(c.rng[1] == model->dropout_rng().state());
  // 4 network tensors + 4 * (exp_avg, exp_avg_sq)
  CHECK(c.tensors.size() == 12);
  for (const TensorEntry &e : c.tensors) CHECK(e.offset % 64 == 0);
  // Overhead: header + manifest + padding of a few small tensors.
  CHECK(c.file_size == bytes.size());

  auto rebuilt = load(source, LoadOptions{});
  CHECK(capture(*rebuilt) == capture(*model));
  CHECK(rebuilt->init_rng().state() == model->init_rng().state());
  CHECK(rebuilt->loss()->kind() == LossKind::mse);
  CHECK(rebuilt->optimizer()->config().lr == 0.01);
}

TEST_CASE("checkpoint round trip for SGD with momentum and Adam with AMSGrad") {
  for (int variant = 0; variant < 3; ++variant) {
    auto model = variant == 0   ? small_model(2, OptimizerKind::sgd)
                 : variant == 1 ? small_model(2, OptimizerKind::adam, true)
                                : small_model(2, OptimizerKind::adamw);
    auto bytes = to_bytes(*model);
    MemorySource source(bytes.data(), bytes.size(), false, "<memory>");
    auto rebuilt = load(source, LoadOptions{});
    CHECK(capture(*rebuilt) == capture(*model));
    // Training on from the rebuilt model matches training on the original.
    train(*model, 2, 3);
    train(*rebuilt, 2, 3);
    CHECK(capture(*rebuilt) == capture(*model));
  }
}

TEST_CASE("checkpoint resume: k steps, save, load, n steps equals k + n steps") {
  auto straight = small_model(7);
  auto first = small_model(3);
  auto bytes = to_bytes(*first);
  MemorySource source(bytes.data(), bytes.size(), false, "<memory>");
  auto resumed = load(source, LoadOptions{});
  train(*resumed, 3, 4);
  CHECK(capture(*resumed) == capture(*straight));
}

TEST_CASE("checkpoint load_into: strict names and shapes, weights only") {
  auto model = small_model(3);
  auto bytes = to_bytes(*model);
  MemorySource source(bytes.data(), bytes.size(), false, "<memory>");

  SUBCASE("same architecture, full; a different lr is taken from the file") {
    auto target = small_model(0);
    target->optimizer()->set_lr(0.5);
    load_into(*target, source, LoadOptions{});
    CHECK(capture(*target) == capture(*model));
    CHECK(target->optimizer()->lr() == 0.01);
    train(*target, 3, 2);
    train(*model, 3, 2);
    CHECK(capture(*target) == capture(*model));
  }
  SUBCASE("a model with another optimizer gets the file's") {
    auto target = small_model(0, OptimizerKind::sgd);
    load_into(*target, source, LoadOptions{});
    CHECK(target->optimizer()->kind() == OptimizerKind::adam);
    CHECK(capture(*target) == capture(*model));
  }
  SUBCASE("weights only leaves the optimizer alone") {
    auto target = small_model(0);
    LoadOptions o;
    o.mode = LoadMode::weights_only;
    load_into(*target, source, o);
    State got = capture(*target), want = capture(*model);
    for (size_t i = 0; i < 4; ++i) CHECK(got.tensors[i] == want.tensors[i]);
    CHECK(got.steps[0].second == 0);
  }
  SUBCASE("a different architecture is refused, naming every difference") {
    Model other(1);
    LayerConfig l;
    l.kind = LayerKind::linear;
    l.in_features = 4;
    l.out_features = 16;
    other.add_layer(l);
    std::string message;
    CHECK(status_of([&] { load_into(other, source, LoadOptions{}); }, &message) ==
          NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK(message.find("\"0.weight\": file [8, 4], network [16, 4]") != std::string::npos);
    CHECK(message.find("not in the network: \"2.weight\" [3, 8]") != std::string::npos);
    CHECK(message.find("<memory>") != std::string::npos);
  }
}

TEST_CASE("checkpoint expected_tensors agrees with every layer's visit_tensors") {
  std::vector<LayerConfig> configs;
  for (int kind = 1; kind <= 13; ++kind) {
    LayerConfig c;
    c.kind = static_cast<LayerKind>(kind);
    c.in_features = 5;
    c.out_features = 7;
    c.in_channels = 4;
    c.out_channels = 6;
    c.kernel_size = {3, 2};
    c.groups = 2;
    c.num_features = 5;
    c.normalized_shape = Shape{7};
    configs.push_back(c);
    c.bias = false;
    c.affine = false;
    c.track_running_stats = false;
    configs.push_back(c);
  }
  for (size_t i = 0; i < configs.size(); ++i) {
    auto layer = make_layer(configs[i], nullptr);
    struct Walk : StateVisitor {
      std::vector<ExpectedTensor> seen;
      void tensor(const std::string &name, TensorRole role, Tensor &v, Tensor *) override {
        seen.push_back({name, role, v.shape()});
      }
    } walk;
    layer->visit_tensors(std::to_string(i) + ".", walk);
    auto expected = expected_tensors(configs[i], std::to_string(i), "test", 1u << 20);
    REQUIRE(expected.size() == walk.seen.size());
    for (size_t j = 0; j < expected.size(); ++j) {
      CHECK(expected[j].name == walk.seen[j].name);
      CHECK(expected[j].role == walk.seen[j].role);
      CHECK(expected[j].shape == walk.seen[j].shape);
    }
  }
}

TEST_CASE("checkpoint metadata keys must be unique and non-empty") {
  auto model = small_model(0);
  SaveOptions o;
  o.metadata = {{"a", "1"}, {"a", "2"}};
  CHECK(status_of([&] { save_to_buffer(*model, nullptr, 0, o); }) == NNSTATE_ERR_INVALID_ARGUMENT);
  o.metadata = {{"", "1"}};
  CHECK(status_of([&] { save_to_buffer(*model, nullptr, 0, o); }) == NNSTATE_ERR_INVALID_ARGUMENT);
}

TEST_CASE("checkpoint of a model without optimizer or loss") {
  Model model(3);
  LayerConfig l;
  l.kind = LayerKind::linear;
  l.in_features = 2;
  l.out_features = 2;
  model.add_layer(l);
  auto bytes = to_bytes(model);
  MemorySource source(bytes.data(), bytes.size(), false, "<memory>");
  auto rebuilt = load(source, LoadOptions{});
  CHECK(rebuilt->optimizer() == nullptr);
  CHECK(rebuilt->loss() == nullptr);
  CHECK(capture(*rebuilt) == capture(model));
}

TEST_CASE("checkpoint round trip of a CNN with BatchNorm buffers, Dropout and LayerNorm") {
  auto build = [] {
    auto model = std::make_unique<Model>(11);
    model->network().set_sample_input_shape(Shape{2, 6, 6});
    LayerConfig c;
    c.kind = LayerKind::conv2d;
    c.in_channels = 2;
    c.out_channels = 4;
    c.kernel_size = {3, 3};
    c.padding = {1, 1};
    model->add_layer(c);
    LayerConfig bn;
    bn.kind = LayerKind::batch_norm2d;
    bn.num_features = 4;
    model->add_layer(bn);
    LayerConfig relu;
    relu.kind = LayerKind::relu;
    model->add_layer(relu);
    LayerConfig pool;
    pool.kind = LayerKind::max_pool2d;
    pool.kernel_size = {2, 2};
    pool.stride = {2, 2};
    model->add_layer(pool);
    LayerConfig flat;
    flat.kind = LayerKind::flatten;
    model->add_layer(flat);
    LayerConfig drop;
    drop.kind = LayerKind::dropout;
    drop.p = 0.25;
    model->add_layer(drop);
    LayerConfig lin;
    lin.kind = LayerKind::linear;
    lin.in_features = 4 * 3 * 3;
    lin.out_features = 3;
    model->add_layer(lin);
    LayerConfig ln;
    ln.kind = LayerKind::layer_norm;
    ln.normalized_shape = Shape{3};
    model->add_layer(ln);
    model->set_loss(LossKind::mse);
    OptimizerConfig oc = default_optimizer_config(OptimizerKind::adamw);
    oc.lr = 0.01;
    model->set_optimizer(oc);
    return model;
  };
  auto step = [](Model &m, int s) {
    std::vector<float> x(4 * 2 * 6 * 6), y(4 * 3);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = static_cast<float>((i * 7 + s * 5) % 13) / 6.0f - 1;
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>((i * 3 + s) % 5) / 2.0f - 1;
    m.train_step(x.data(), static_cast<int64_t>(x.size()), y.data(), static_cast<int64_t>(y.size()),
                 4);
  };
  auto model = build();
  for (int s = 0; s < 3; ++s) step(*model, s);
  auto bytes = to_bytes(*model);
  MemorySource source(bytes.data(), bytes.size(), false, "<memory>");
  Contents c = read_contents(source);
  verify_data(source, c);
  REQUIRE(c.layers.size() == 8);
  CHECK(c.layers == std::vector<LayerConfig>{[&] {
          std::vector<LayerConfig> v;
          struct Walk : StateVisitor {
            std::vector<LayerConfig> *v;
            void layer(size_t, const LayerConfig &cfg) override { v->push_back(cfg); }
            void tensor(const std::string &, TensorRole, Tensor &, Tensor *) override {}
          } walk;
          walk.v = &v;
          model->network().visit_state(walk);
          return v;
        }()});
  CHECK(c.find("1.running_mean") != nullptr);
  CHECK(c.find("1.running_mean")->role == Role::buffer);

  auto rebuilt = load(source, LoadOptions{});
  CHECK(capture(*rebuilt) == capture(*model));
  // Dropout draws from the restored stream: training on stays bitwise identical.
  for (int s = 3; s < 6; ++s) {
    step(*model, s);
    step(*rebuilt, s);
  }
  CHECK(capture(*rebuilt) == capture(*model));
}

// check_graph over a stack, the shape of every 1.0 file.
static Shape check_chain(const std::vector<LayerConfig> &layers, const Shape &input,
                         const std::string &where, uint64_t data_length) {
  return check_graph(layers, stack_links(layers.size()), input, where, data_length);
}

TEST_CASE("checkpoint check_graph refuses stacks that do not chain, like Graph::add") {
  LayerConfig a;
  a.kind = LayerKind::linear;
  a.in_features = 4;
  a.out_features = 8;
  LayerConfig b = a;
  b.in_features = 5;
  std::string message;
  CHECK(status_of(
            [&] {
              check_chain({a, b}, Shape{}, "file", 1024);
            },
            &message) == NNSTATE_ERR_CORRUPT);
  CHECK(message.find("file: the layers do not chain") != std::string::npos);
  CHECK(status_of([&] { check_chain({a}, Shape{5}, "file", 1024); }) == NNSTATE_ERR_CORRUPT);
  b.in_features = 8;
  CHECK(status_of([&] { check_chain({a, b}, Shape{}, "file", 1024); }) == NNSTATE_OK);

  LayerConfig conv;
  conv.kind = LayerKind::conv2d;
  conv.in_channels = 3;
  conv.out_channels = 4;
  conv.kernel_size = {3, 3};
  LayerConfig flat;
  flat.kind = LayerKind::flatten;
  LayerConfig head = a;
  head.in_features = 4 * 6 * 6;  // 8x8 input, 3x3 kernel, no padding
  CHECK(status_of([&] {
          check_chain({conv, flat, head}, Shape{3, 8, 8}, "f", 1 << 20);
        }) == NNSTATE_OK);
  CHECK(status_of([&] {
          check_chain({conv, flat, head}, Shape{2, 8, 8}, "f", 1 << 20);
        }) == NNSTATE_ERR_CORRUPT);
  head.in_features = 4 * 7 * 7;
  CHECK(status_of([&] {
          check_chain({conv, flat, head}, Shape{3, 8, 8}, "f", 1 << 20);
        }) == NNSTATE_ERR_CORRUPT);
}
