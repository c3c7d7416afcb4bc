// End-to-end training of small problems through Model, and the network's shape rules.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "train/model.h"
#include "util/error.h"

using namespace nnstate;

namespace {

LayerConfig linear(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::linear);
  auto &o = c.as<LinearConfig>();
  o.in_features = in;
  o.out_features = out;
  return c;
}

LayerConfig activation(LayerKind kind) {
  return LayerConfig(kind);
}

OptimizerConfig adam(double lr) {
  OptimizerConfig c = default_optimizer_config(OptimizerKind::adam);
  c.lr = lr;
  return c;
}

// The regression of seed 001: y = sin(x1)cos(x2) + x3 + x4^2 + sqrt|x1+x3| + noise/100.
struct Regression {
  static constexpr int kSamples = 1000, kTrain = 800, kFeatures = 4;
  std::vector<float> x, y;
  Regression() {
    Rng rng(2024, RngStream::init);
    for (int i = 0; i < kSamples; ++i) {
      float f[kFeatures];
      for (float &v : f) v = rng.normal();
      x.insert(x.end(), f, f + kFeatures);
      y.push_back(std::sin(f[0]) * std::cos(f[1]) + f[2] + f[3] * f[3] +
                  std::sqrt(std::fabs(f[0] + f[2])) + rng.uniform() / 100.0f);
    }
  }
};

}  // namespace

TEST_CASE("XOR is learned") {
  Model model(3);
  model.add_layer(linear(2, 8));
  model.add_layer(activation(LayerKind::tanh));
  model.add_layer(linear(8, 1));
  model.set_loss(LossKind::bce_with_logits);
  model.set_optimizer(adam(0.05));
  const float x[] = {0, 0, 0, 1, 1, 0, 1, 1};
  const float y[] = {0, 1, 1, 0};
  float loss = 0;
  for (int step = 0; step < 500; ++step) loss = model.train_step(x, 8, y, 4, 4);
  CHECK(loss < 0.05f);
  float logits[4];
  model.predict(x, 8, 4, logits, 4);
  for (int i = 0; i < 4; ++i) {
    INFO("sample " << i << " logit " << logits[i]);
    CHECK((logits[i] > 0) == (y[i] > 0.5f));
  }
}

TEST_CASE("the seed-001 regression reaches test MSE < 0.1 within 400 epochs") {
  const Regression data;
  Model model(42);
  model.add_layer(linear(4, 128));
  model.add_layer(activation(LayerKind::relu));
  model.add_layer(linear(128, 128));
  model.add_layer(activation(LayerKind::relu));
  model.add_layer(linear(128, 1));
  model.set_loss(LossKind::mse);
  model.set_optimizer(adam(1e-3));
  const int batch = 100;
  const float *test_x = data.x.data() + Regression::kTrain * Regression::kFeatures;
  const float *test_y = data.y.data() + Regression::kTrain;
  const int test_n = Regression::kSamples - Regression::kTrain;
  const float initial = model.evaluate(test_x, test_n * 4, test_y, test_n, test_n);
  float test_mse = initial;
  int epoch = 0;
  for (epoch = 1; epoch <= 400 && test_mse >= 0.1f; ++epoch) {
    for (int start = 0; start < Regression::kTrain; start += batch) {
      model.train_step(data.x.data() + start * 4, batch * 4, data.y.data() + start, batch, batch);
    }
    test_mse = model.evaluate(test_x, test_n * 4, test_y, test_n, test_n);
  }
  INFO("initial test MSE " << initial << ", after " << epoch - 1 << " epochs " << test_mse);
  CHECK(initial > 1.0f);
  CHECK(test_mse < 0.1f);
}

TEST_CASE("the same seed gives bitwise-identical training, another seed does not") {
  auto train = [](uint64_t seed) {
    Model model(seed);
    model.add_layer(linear(3, 16));
    model.add_layer(activation(LayerKind::gelu));
    model.add_layer(linear(16, 2));
    model.set_loss(LossKind::mse);
    model.set_optimizer(adam(1e-2));
    std::vector<float> x(30), y(20);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
    for (size_t i = 0; i < y.size(); ++i) y[i] = std::cos(static_cast<float>(i));
    for (int s = 0; s < 20; ++s) model.train_step(x.data(), 30, y.data(), 20, 10);
    std::vector<float> out(20);
    model.predict(x.data(), 30, 10, out.data(), 20);
    return out;
  };
  const std::vector<float> a = train(5), b = train(5), c = train(6);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) != 0);
}

TEST_CASE("layers that do not fit together are refused with both shapes") {
  Model model(1);
  model.add_layer(linear(4, 10));
  model.add_layer(activation(LayerKind::relu));
  try {
    model.add_layer(linear(11, 2));
    FAIL("a Linear(11, 2) after a 10-wide layer was accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK(std::string(e.what()).find("[11]") != std::string::npos);
    CHECK(std::string(e.what()).find("[10]") != std::string::npos);
  }
  CHECK(model.network().size() == 2);
  CHECK(model.network().sample_output_size() == 10);
}

TEST_CASE("wrong input and target counts are refused before anything changes") {
  Model model(1);
  model.add_layer(linear(2, 3));
  model.set_loss(LossKind::cross_entropy);
  model.set_optimizer(adam(0.1));
  const float x[4] = {1, 2, 3, 4};
  const float bad_class[2] = {0, 3};
  float before[6], after[6];
  model.predict(x, 4, 2, before, 6);
  CHECK_THROWS_AS(model.train_step(x, 3, bad_class, 2, 2), Error);
  CHECK_THROWS_AS(model.train_step(x, 4, bad_class, 1, 2), Error);
  CHECK_THROWS_AS(model.train_step(x, 4, bad_class, 2, 2), Error);  // class 3 of 3
  model.predict(x, 4, 2, after, 6);
  CHECK(std::memcmp(before, after, sizeof before) == 0);
}

TEST_CASE("layers cannot be added after the optimizer is set") {
  Model model(1);
  model.add_layer(linear(2, 2));
  model.set_optimizer(adam(0.1));
  CHECK_THROWS_AS(model.add_layer(activation(LayerKind::relu)), Error);
}

TEST_CASE("a refused layer consumes no initialisation randomness") {
  Model clean(8), with_error(8);
  clean.add_layer(linear(3, 4));
  with_error.add_layer(linear(3, 4));
  CHECK_THROWS_AS(with_error.add_layer(linear(5, 2)), Error);
  clean.add_layer(linear(4, 2));
  with_error.add_layer(linear(4, 2));
  const float x[3] = {0.5f, -1.0f, 2.0f};
  float a[2], b[2];
  clean.predict(x, 3, 1, a, 2);
  with_error.predict(x, 3, 1, b, 2);
  CHECK(std::memcmp(a, b, sizeof a) == 0);
}
