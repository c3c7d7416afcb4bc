// Dropout: identity in evaluation; in training zeroes about p of the elements and scales the
// rest by 1 / (1 - p); the mask is a function of the dropout stream's state only (one uniform
// draw per element, in order), so a restored state reproduces it and backward reuses it.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "test_layers_util.h"
#include "train/model.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig dropout(double p) {
  LayerConfig c(LayerKind::dropout);
  auto &o = c.as<DropoutConfig>();
  o.p = p;
  return c;
}

bool same_bits(const Tensor &a, const Tensor &b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.byte_size()) == 0;
}

}  // namespace

TEST_CASE("Dropout is the identity in evaluation and draws nothing") {
  std::unique_ptr<Layer> layer = make_layer(dropout(0.5), nullptr);
  Rng rng(3, RngStream::dropout);
  const RngState before = rng.state();
  const Tensor x = test_tensor(Shape{4, 7}, 1);
  const Tensor y = run_forward(*layer, x, false, &rng);
  CHECK(same_bits(x, y));
  CHECK(rng.state() == before);
  Tensor dx(x.shape());
  layer->backward(x, y, x, &dx);
  CHECK(same_bits(dx, x));
  // p = 0 is the identity in training too.
  const Tensor z = run_forward(*make_layer(dropout(0.0), nullptr), x, true, &rng);
  CHECK(same_bits(x, z));
  CHECK(rng.state() == before);
}

TEST_CASE("Dropout in training zeroes about p of the elements and scales the rest") {
  for (double p : {0.1, 0.5, 0.8}) {
    INFO("p " << p);
    std::unique_ptr<Layer> layer = make_layer(dropout(p), nullptr);
    Rng rng(11, RngStream::dropout);
    const Tensor x = test_tensor(Shape{100, 200}, 2, 0.5f, 1.5f);  // never zero
    const Tensor y = run_forward(*layer, x, true, &rng);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t zeros = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (y[i] == 0.0f) {
        ++zeros;
      } else {
        CHECK(y[i] == x[i] * scale);
      }
    }
    // 20000 Bernoulli(p) draws: 5 standard deviations is below 0.018.
    const double fraction = static_cast<double>(zeros) / static_cast<double>(x.numel());
    CHECK(std::fabs(fraction - p) < 0.018);
  }
  std::unique_ptr<Layer> layer = make_layer(dropout(0.5), nullptr);
  CHECK_THROWS_AS(run_forward(*layer, test_tensor(Shape{2, 2}, 1), true, nullptr), Error);
  CHECK_THROWS_AS(make_layer(dropout(1.0), nullptr), Error);
  CHECK_THROWS_AS(make_layer(dropout(-0.1), nullptr), Error);
  CHECK_THROWS_AS(make_layer(dropout(std::nan("")), nullptr), Error);
}

TEST_CASE("Dropout masks come from the dropout stream alone, one uniform per element") {
  std::unique_ptr<Layer> layer = make_layer(dropout(0.3), nullptr);
  const Tensor x = test_tensor(Shape{3, 5, 4}, 3, 0.5f, 1.5f);
  Rng rng(21, RngStream::dropout);
  run_forward(*layer, x, true, &rng);  // advance the stream to an arbitrary point
  const RngState saved = rng.state();
  Rng reference(saved);
  const Tensor first = run_forward(*layer, x, true, &rng);
  // Element i is dropped exactly when the i-th uniform draw is below p.
  for (int64_t i = 0; i < x.numel(); ++i) {
    const bool dropped = reference.uniform() < 0.3f;
    CHECK((first[i] == 0.0f) == dropped);
  }
  CHECK(reference.state() == rng.state());

  // Restoring the state (as a resumed run does) reproduces the mask bit for bit ...
  Rng restored(saved);
  std::unique_ptr<Layer> other = make_layer(dropout(0.3), nullptr);
  CHECK(same_bits(run_forward(*other, x, true, &restored), first));
  // ... and the next draw of the stream gives another mask.
  CHECK_FALSE(same_bits(run_forward(*layer, x, true, &rng), first));
  Rng other_seed(22, RngStream::dropout);
  CHECK_FALSE(same_bits(run_forward(*layer, x, true, &other_seed), first));
}

TEST_CASE("Dropout backward applies the forward mask") {
  std::unique_ptr<Layer> layer = make_layer(dropout(0.4), nullptr);
  Rng rng(5, RngStream::dropout);
  const Tensor x = test_tensor(Shape{6, 9}, 4, 0.5f, 1.5f);
  const Tensor y = run_forward(*layer, x, true, &rng);
  const Tensor dy = test_tensor(x.shape(), 5);
  Tensor dx(x.shape());
  layer->backward(x, y, dy, &dx);
  const float scale = static_cast<float>(1.0 / 0.6);
  for (int64_t i = 0; i < x.numel(); ++i) CHECK(dx[i] == (y[i] == 0.0f ? 0.0f : dy[i] * scale));

  // Finite differences, with the stream restored before every forward pass.
  const RngState start = rng.state();
  RunContext context;
  context.training = true;
  context.dropout_rng = &rng;
  check_layer_gradients(*layer, x, context, [&] { rng = Rng(start); });
}

TEST_CASE("a network with Dropout resumes bit-exactly from the dropout stream's state") {
  auto build = [] {
    auto model = std::make_unique<Model>(17);
    LayerConfig l(LayerKind::linear);
    auto &o = l.as<LinearConfig>();
    o.in_features = 3;
    o.out_features = 32;
    model->add_layer(l);
    model->add_layer(kind_config(LayerKind::relu));
    model->add_layer(dropout(0.5));
    o.in_features = 32;
    o.out_features = 1;
    model->add_layer(l);
    model->set_loss(LossKind::mse);
    model->set_optimizer(default_optimizer_config(OptimizerKind::sgd));
    return model;
  };
  std::vector<float> x(24), y(8);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  for (size_t i = 0; i < y.size(); ++i) y[i] = std::cos(static_cast<float>(i));
  // Two models in the same state (same seed, same steps) with the same dropout stream state
  // take identical steps; another stream state gives another step.
  auto a = build(), b = build(), c = build();
  for (int s = 0; s < 3; ++s) {
    a->train_step(x.data(), 24, y.data(), 8, 8);
    b->train_step(x.data(), 24, y.data(), 8, 8);
    c->train_step(x.data(), 24, y.data(), 8, 8);
  }
  c->dropout_rng() = Rng(RngState{c->seed(), static_cast<uint32_t>(RngStream::dropout), 999, 4});
  const float la = a->train_step(x.data(), 24, y.data(), 8, 8);
  const float lb = b->train_step(x.data(), 24, y.data(), 8, 8);
  const float lc = c->train_step(x.data(), 24, y.data(), 8, 8);
  CHECK(std::memcmp(&la, &lb, sizeof la) == 0);
  CHECK(la != lc);
}
