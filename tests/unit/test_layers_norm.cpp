// BatchNorm1d/2d and LayerNorm: outputs and running statistics against their formulas, train
// versus eval behaviour, finite-difference gradients, and the seed-001 network
// BatchNorm1d(4), Linear(4, 1000), ReLU, BatchNorm1d(1000), Linear(1000, 1) through Model.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "layers/graph.h"
#include "test_layers_util.h"
#include "train/model.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig batch_norm(LayerKind kind, int64_t features, bool affine = true, bool track = true) {
  LayerConfig c = kind_config(kind);
  c.as<BatchNormConfig>().num_features = features;
  c.as<BatchNormConfig>().affine = affine;
  c.as<BatchNormConfig>().track_running_stats = track;
  return c;
}

LayerConfig layer_norm(const Shape &shape, bool affine = true) {
  LayerConfig c(LayerKind::layer_norm);
  auto &o = c.as<LayerNormConfig>();
  o.normalized_shape = shape;
  o.affine = affine;
  return c;
}

// Per-channel mean and biased variance of [N, C, spatial...] in double.
void channel_stats(const Tensor &x, int64_t channels, std::vector<double> &mean,
                   std::vector<double> &var) {
  const int64_t n = x.shape()[0], spatial = x.numel() / (n * channels);
  mean.assign(static_cast<size_t>(channels), 0.0);
  var.assign(static_cast<size_t>(channels), 0.0);
  for (int64_t c = 0; c < channels; ++c) {
    double s = 0.0, s2 = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < spatial; ++k) s += x[(i * channels + c) * spatial + k];
    }
    const double m = s / (n * spatial);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < spatial; ++k) {
        const double d = x[(i * channels + c) * spatial + k] - m;
        s2 += d * d;
      }
    }
    mean[static_cast<size_t>(c)] = m;
    var[static_cast<size_t>(c)] = s2 / (n * spatial);
  }
}

// y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
void check_normalised(const Tensor &y, const Tensor &x, int64_t channels,
                      const std::vector<double> &mean, const std::vector<double> &var,
                      const Tensor &weight, const Tensor &bias) {
  const int64_t n = x.shape()[0], spatial = x.numel() / (n * channels);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t c = static_cast<size_t>((i / spatial) % channels);
    const double expected = (x[i] - mean[c]) / std::sqrt(var[c] + 1e-5) * weight[c] + bias[c];
    INFO("element " << i << ": " << y[i] << " vs " << expected);
    CHECK(std::fabs(y[i] - expected) <= 2e-5 * (1.0 + std::fabs(expected)));
  }
}

// Sets weight = 1 + 0.25 c and bias = 0.5 - 0.3 c so that the affine part is visible.
void set_affine(TensorCollector &state) {
  Tensor &w = *state.find("weight"), &b = *state.find("bias");
  for (int64_t c = 0; c < w.numel(); ++c) {
    w[c] = 1.0f + 0.25f * static_cast<float>(c);
    b[c] = 0.5f - 0.3f * static_cast<float>(c);
  }
}

}  // namespace

TEST_CASE("BatchNorm starts like PyTorch and reports parameters then buffers") {
  std::unique_ptr<Layer> bn = make_layer(batch_norm(LayerKind::batch_norm1d, 3), nullptr);
  TensorCollector state;
  bn->visit_tensors("0.", state);
  REQUIRE(state.names == std::vector<std::string>{"0.weight", "0.bias", "0.running_mean",
                                                  "0.running_var", "0.num_batches_tracked"});
  const std::vector<TensorRole> roles = {TensorRole::parameter, TensorRole::parameter,
                                         TensorRole::buffer, TensorRole::buffer,
                                         TensorRole::buffer};
  CHECK(state.roles == roles);
  CHECK(state.grads[2] == nullptr);
  CHECK(state.grads[3] == nullptr);
  CHECK(state.grads[4] == nullptr);
  CHECK(state.values[4]->shape().rank == 0);
  CHECK((*state.values[4])[0] == 0.0f);
  for (int64_t c = 0; c < 3; ++c) {
    CHECK((*state.values[0])[c] == 1.0f);
    CHECK((*state.values[1])[c] == 0.0f);
    CHECK((*state.values[2])[c] == 0.0f);
    CHECK((*state.values[3])[c] == 1.0f);
  }
  const LayerConfig c = bn->config();
  CHECK(c.as<BatchNormConfig>().eps == 1e-5);
  CHECK(c.as<BatchNormConfig>().momentum == 0.1);

  TensorCollector bare;
  make_layer(batch_norm(LayerKind::batch_norm2d, 3, false, false), nullptr)
      ->visit_tensors("", bare);
  CHECK(bare.names.empty());
}

TEST_CASE("BatchNorm running statistics follow momentum and the unbiased variance") {
  struct Case {
    LayerKind kind;
    Shape input;
    double momentum;
  };
  for (const Case &k : {Case{LayerKind::batch_norm1d, Shape{5, 3}, 0.1},
                        Case{LayerKind::batch_norm1d, Shape{4, 3, 2}, 0.25},
                        Case{LayerKind::batch_norm2d, Shape{2, 3, 2, 3}, 0.1}}) {
    INFO(layer_kind_name(k.kind) << " on " << k.input.to_string());
    LayerConfig config = batch_norm(k.kind, 3);
    config.as<BatchNormConfig>().momentum = k.momentum;
    std::unique_ptr<Layer> bn = make_layer(config, nullptr);
    TensorCollector state;
    bn->visit_tensors("", state);
    set_affine(state);
    std::vector<double> running_mean(3, 0.0), running_var(3, 1.0), mean, var;
    const int64_t count = k.input.numel() / 3;
    for (uint32_t step = 0; step < 3; ++step) {
      // Shifted and scaled per step so that the statistics move.
      Tensor x = test_tensor(k.input, 30 + step, -1.0f + step, 2.0f + 2.0f * step);
      const Tensor y = run_forward(*bn, x, true);
      channel_stats(x, 3, mean, var);
      check_normalised(y, x, 3, mean, var, *state.find("weight"), *state.find("bias"));
      for (size_t c = 0; c < 3; ++c) {
        running_mean[c] = (1 - k.momentum) * running_mean[c] + k.momentum * mean[c];
        running_var[c] =
            (1 - k.momentum) * running_var[c] + k.momentum * var[c] * count / (count - 1);
      }
    }
    for (int64_t c = 0; c < 3; ++c) {
      const size_t i = static_cast<size_t>(c);
      CHECK((*state.find("running_mean"))[c] == doctest::Approx(running_mean[i]).epsilon(1e-6));
      CHECK((*state.find("running_var"))[c] == doctest::Approx(running_var[i]).epsilon(1e-6));
    }
    CHECK((*state.find("num_batches_tracked"))[0] == 3.0f);

    // Evaluation normalises with the running statistics and changes no buffer.
    const Tensor x = test_tensor(k.input, 40);
    const Tensor before_mean = *state.find("running_mean");
    const Tensor y = run_forward(*bn, x, false);
    check_normalised(y, x, 3, running_mean, running_var, *state.find("weight"),
                     *state.find("bias"));
    for (int64_t c = 0; c < 3; ++c) CHECK((*state.find("running_mean"))[c] == before_mean[c]);
    CHECK((*state.find("num_batches_tracked"))[0] == 3.0f);
  }
}

TEST_CASE("BatchNorm without running statistics always uses the batch's") {
  std::unique_ptr<Layer> bn =
      make_layer(batch_norm(LayerKind::batch_norm1d, 4, true, false), nullptr);
  const Tensor x = test_tensor(Shape{6, 4}, 3, -2.0f, 5.0f);
  const Tensor train = run_forward(*bn, x, true), eval = run_forward(*bn, x, false);
  for (int64_t i = 0; i < x.numel(); ++i) CHECK(train[i] == eval[i]);
  std::vector<double> mean, var;
  channel_stats(x, 4, mean, var);
  TensorCollector state;
  bn->visit_tensors("", state);
  CHECK(state.names == std::vector<std::string>{"weight", "bias"});
  check_normalised(eval, x, 4, mean, var, *state.find("weight"), *state.find("bias"));
}

TEST_CASE("BatchNorm refuses one value per channel in training and wrong shapes") {
  std::unique_ptr<Layer> bn1 = make_layer(batch_norm(LayerKind::batch_norm1d, 3), nullptr);
  CHECK_THROWS_AS(run_forward(*bn1, test_tensor(Shape{1, 3}, 1), true), Error);
  CHECK_NOTHROW(run_forward(*bn1, test_tensor(Shape{1, 3}, 1), false));
  CHECK_NOTHROW(run_forward(*bn1, test_tensor(Shape{1, 3, 2}, 1), true));
  CHECK_THROWS_AS(bn1->output_shape(Shape{2, 4}), Error);
  CHECK_THROWS_AS(bn1->output_shape(Shape{2, 3, 2, 2}), Error);
  std::unique_ptr<Layer> bn2 = make_layer(batch_norm(LayerKind::batch_norm2d, 3), nullptr);
  CHECK(bn2->output_shape(Shape{2, 3, 4, 5}) == Shape{2, 3, 4, 5});
  CHECK_THROWS_AS(bn2->output_shape(Shape{2, 3}), Error);
  CHECK_THROWS_AS(make_layer(batch_norm(LayerKind::batch_norm2d, 0), nullptr), Error);
  LayerConfig bad = batch_norm(LayerKind::batch_norm1d, 3);
  bad.as<BatchNormConfig>().eps = -1.0;
  CHECK_THROWS_AS(make_layer(bad, nullptr), Error);
}

TEST_CASE("BatchNorm gradients match finite differences in train and eval mode") {
  for (bool affine : {true, false}) {
    INFO("affine " << affine);
    check_config_gradients(batch_norm(LayerKind::batch_norm1d, 4, affine),
                           test_tensor(Shape{6, 4}, 1, -2.0f, 2.0f), true);
    check_config_gradients(batch_norm(LayerKind::batch_norm1d, 3, affine),
                           test_tensor(Shape{3, 3, 4}, 2, -2.0f, 2.0f), true);
    check_config_gradients(batch_norm(LayerKind::batch_norm2d, 2, affine),
                           test_tensor(Shape{3, 2, 3, 4}, 3, -2.0f, 2.0f), true);
  }
  // Eval mode differentiates through the running statistics only.
  std::unique_ptr<Layer> bn = make_layer(batch_norm(LayerKind::batch_norm2d, 3), nullptr);
  for (uint32_t step = 0; step < 2; ++step) {
    run_forward(*bn, test_tensor(Shape{2, 3, 2, 2}, 10 + step, -3.0f, 4.0f), true);
  }
  RunContext eval;
  check_layer_gradients(*bn, test_tensor(Shape{2, 3, 3, 2}, 4), eval);
}

TEST_CASE("LayerNorm normalises the trailing dims like its definition") {
  struct Case {
    Shape normalized, input;
  };
  for (const Case &k : {Case{Shape{5}, Shape{3, 5}}, Case{Shape{4, 5}, Shape{2, 3, 4, 5}},
                        Case{Shape{3}, Shape{2, 4, 3}}}) {
    INFO("normalized_shape " << k.normalized.to_string());
    std::unique_ptr<Layer> ln = make_layer(layer_norm(k.normalized), nullptr);
    TensorCollector state;
    ln->visit_tensors("2.", state);
    REQUIRE(state.names == std::vector<std::string>{"2.weight", "2.bias"});
    CHECK(state.values[0]->shape() == k.normalized);
    Tensor &w = *state.values[0], &b = *state.values[1];
    for (int64_t i = 0; i < w.numel(); ++i) {
      CHECK(w[i] == 1.0f);
      CHECK(b[i] == 0.0f);
      w[i] = 0.5f + 0.1f * static_cast<float>(i);
      b[i] = 0.2f - 0.05f * static_cast<float>(i);
    }
    // A large offset: the statistics must not cancel.
    const Tensor x = test_tensor(k.input, 5, 100.0f, 103.0f);
    const Tensor y = run_forward(*ln, x, false);
    const int64_t d = k.normalized.numel();
    for (int64_t r = 0; r < x.numel() / d; ++r) {
      double mean = 0.0, var = 0.0;
      for (int64_t i = 0; i < d; ++i) mean += x[r * d + i];
      mean /= d;
      for (int64_t i = 0; i < d; ++i) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
      var /= d;
      for (int64_t i = 0; i < d; ++i) {
        const double expected = (x[r * d + i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i];
        CHECK(std::fabs(y[r * d + i] - expected) <= 1e-4 * (1.0 + std::fabs(expected)));
      }
    }
  }
  std::unique_ptr<Layer> ln = make_layer(layer_norm(Shape{4, 5}), nullptr);
  CHECK_THROWS_AS(ln->output_shape(Shape{2, 5, 4}), Error);
  CHECK_THROWS_AS(ln->output_shape(Shape{4, 5}), Error);  // no batch dim left
  CHECK_THROWS_AS(make_layer(layer_norm(Shape{}), nullptr), Error);
  CHECK_THROWS_AS(make_layer(layer_norm(Shape{2, 0}), nullptr), Error);
  TensorCollector none;
  make_layer(layer_norm(Shape{4}, false), nullptr)->visit_tensors("", none);
  CHECK(none.names.empty());
}

TEST_CASE("LayerNorm gradients match finite differences") {
  check_config_gradients(layer_norm(Shape{5}), test_tensor(Shape{3, 5}, 1, -2.0f, 2.0f), false);
  check_config_gradients(layer_norm(Shape{3, 4}), test_tensor(Shape{2, 3, 4}, 2, -2.0f, 2.0f),
                         true);
  check_config_gradients(layer_norm(Shape{4}, false), test_tensor(Shape{2, 3, 4}, 3), true);
  // Non-trivial weight and bias, so that their role in dx is exercised.
  std::unique_ptr<Layer> ln = make_layer(layer_norm(Shape{6}), nullptr);
  TensorCollector state;
  ln->visit_tensors("", state);
  *state.values[0] = test_tensor(Shape{6}, 8, 0.5f, 2.0f);
  *state.values[1] = test_tensor(Shape{6}, 9);
  RunContext context;
  check_layer_gradients(*ln, test_tensor(Shape{4, 6}, 7, -2.0f, 2.0f), context);
}

TEST_CASE("shape-preserving norm layers before Linear are checked once the input is fixed") {
  Rng rng(1, RngStream::init);
  Graph net;
  net.add(make_layer(batch_norm(LayerKind::batch_norm1d, 5), &rng));
  LayerConfig l(LayerKind::linear);
  auto &o = l.as<LinearConfig>();
  o.in_features = 4;
  o.out_features = 2;
  try {
    net.add(make_layer(l, &rng));
    FAIL("BatchNorm1d(5) accepted samples of 4 features");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_SHAPE_MISMATCH);
    const std::string m = e.what();
    CHECK(m.find("BatchNorm1d") != std::string::npos);
    CHECK(m.find("[4]") != std::string::npos);
    CHECK(m.find("[N, 5]") != std::string::npos);
  }
  CHECK(net.size() == 1);
  CHECK(net.sample_input_shape().rank == 0);

  Graph ok;
  ok.add(make_layer(layer_norm(Shape{4}), &rng));
  ok.add(make_layer(l, &rng));
  CHECK(ok.sample_input_shape() == Shape{4});
  ok.add(make_layer(batch_norm(LayerKind::batch_norm1d, 2), &rng));
  CHECK_THROWS_AS(ok.add(make_layer(batch_norm(LayerKind::batch_norm1d, 3), &rng)), Error);
  CHECK_THROWS_AS(ok.add(make_layer(batch_norm(LayerKind::batch_norm2d, 2), &rng)), Error);
}

TEST_CASE("the seed-001 BatchNorm network builds with PyTorch names and trains through Model") {
  Model model(1);
  model.add_layer(batch_norm(LayerKind::batch_norm1d, 4));
  LayerConfig l1(LayerKind::linear);
  auto &o = l1.as<LinearConfig>();
  o.in_features = 4;
  o.out_features = 1000;
  model.add_layer(l1);
  model.add_layer(kind_config(LayerKind::relu));
  model.add_layer(batch_norm(LayerKind::batch_norm1d, 1000));
  LayerConfig l2 = l1;
  l2.as<LinearConfig>().in_features = 1000;
  l2.as<LinearConfig>().out_features = 1;
  model.add_layer(l2);
  CHECK(model.network().sample_input_shape() == Shape{4});
  TensorCollector state;
  model.network().visit_state(state);
  CHECK(state.names == std::vector<std::string>{"0.weight", "0.bias", "0.running_mean",
                                                "0.running_var", "0.num_batches_tracked",
                                                "1.weight", "1.bias", "3.weight", "3.bias",
                                                "3.running_mean", "3.running_var",
                                                "3.num_batches_tracked", "4.weight", "4.bias"});
  CHECK(model.network().parameter_count() == 8 + 5000 + 2000 + 1001);

  // y = sin(x1)cos(x2) + x3 + x4^2 + sqrt|x1 + x3| + noise / 100, as in the seed.
  const int samples = 600, train = 500, batch = 100;
  std::vector<float> x, y;
  Rng rng(2024, RngStream::init);
  for (int i = 0; i < samples; ++i) {
    float f[4];
    for (float &v : f) v = rng.normal();
    x.insert(x.end(), f, f + 4);
    y.push_back(std::sin(f[0]) * std::cos(f[1]) + f[2] + f[3] * f[3] +
                std::sqrt(std::fabs(f[0] + f[2])) + rng.uniform() / 100.0f);
  }
  model.set_loss(LossKind::mse);
  OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
  model.set_optimizer(adam);
  const float *test_x = x.data() + train * 4, *test_y = y.data() + train;
  const float initial =
      model.evaluate(test_x, (samples - train) * 4, test_y, samples - train, samples - train);
  int steps = 0;
  for (int epoch = 0; epoch < 40; ++epoch) {
    for (int start = 0; start < train; start += batch, ++steps) {
      model.train_step(x.data() + start * 4, batch * 4, y.data() + start, batch, batch);
    }
  }
  const float final_loss =
      model.evaluate(test_x, (samples - train) * 4, test_y, samples - train, samples - train);
  INFO("test MSE " << initial << " -> " << final_loss);
  CHECK(final_loss < 0.25f * initial);
  CHECK(final_loss < 0.2f);
  CHECK((*state.find("0.num_batches_tracked"))[0] == static_cast<float>(steps));
  CHECK((*state.find("3.num_batches_tracked"))[0] == static_cast<float>(steps));
}
