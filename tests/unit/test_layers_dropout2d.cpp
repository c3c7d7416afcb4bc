// Dropout2d: whole channels zeroed with probability p and the rest scaled by 1 / (1 - p) in
// training, the identity in evaluation and for p = 0; masks drawn from the dropout stream,
// one uniform per (sample, channel) in row-major order, so a restored stream reproduces them.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "test_layers_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig dropout2d(double p) {
  LayerConfig c(LayerKind::dropout2d);
  auto &o = c.as<DropoutConfig>();
  o.p = p;
  return c;
}

bool same_bits(const Tensor &a, const Tensor &b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.byte_size()) == 0;
}

}  // namespace

TEST_CASE("Dropout2d is the identity in evaluation and for p = 0, and draws nothing") {
  Rng rng(3, RngStream::dropout);
  const RngState before = rng.state();
  const Tensor x = test_tensor(Shape{2, 3, 4, 5}, 1);
  auto layer = make_layer(dropout2d(0.5), nullptr);
  const Tensor y = run_forward(*layer, x, false, &rng);
  CHECK(same_bits(x, y));
  Tensor dx(x.shape());
  layer->backward(x, y, x, &dx);
  CHECK(same_bits(dx, x));
  CHECK(same_bits(run_forward(*make_layer(dropout2d(0.0), nullptr), x, true, &rng), x));
  CHECK(rng.state() == before);
  CHECK(make_layer(dropout2d(0.25), nullptr)->config() == dropout2d(0.25));
}

TEST_CASE("Dropout2d zeroes whole channels, one draw per (sample, channel) in order") {
  for (const Shape &shape : {Shape{4, 6, 3, 5}, Shape{5, 7, 8}}) {
    INFO("input " << shape.to_string());
    auto layer = make_layer(dropout2d(0.4), nullptr);
    const Tensor x = test_tensor(shape, 2, 0.5f, 1.5f);  // never zero
    Rng rng(17, RngStream::dropout);
    run_forward(*layer, x, true, &rng);  // advance the stream to an arbitrary point
    Rng reference(rng.state());
    const Tensor y = run_forward(*layer, x, true, &rng);
    const int64_t channels = shape[0] * shape[1], plane = x.numel() / channels;
    const float scale = static_cast<float>(1.0 / 0.6);
    int64_t dropped_channels = 0;
    for (int64_t ch = 0; ch < channels; ++ch) {
      const bool dropped = reference.uniform() < 0.4f;
      dropped_channels += dropped;
      for (int64_t i = ch * plane; i < (ch + 1) * plane; ++i) {
        CHECK(y[i] == (dropped ? 0.0f : x[i] * scale));
      }
    }
    CHECK(reference.state() == rng.state());  // exactly N * C draws
    CHECK(dropped_channels > 0);
    CHECK(dropped_channels < channels);
  }
}

TEST_CASE("Dropout2d drops about p of the channels") {
  auto layer = make_layer(dropout2d(0.3), nullptr);
  Rng rng(5, RngStream::dropout);
  const Tensor x = test_tensor(Shape{100, 200, 1, 2}, 3, 0.5f, 1.5f);
  const Tensor y = run_forward(*layer, x, true, &rng);
  int64_t zeros = 0;
  for (int64_t i = 0; i < y.numel(); i += 2) zeros += y[i] == 0.0f;
  // 20000 Bernoulli(0.3) channels: 5 standard deviations is below 0.017.
  CHECK(std::fabs(static_cast<double>(zeros) / 20000.0 - 0.3) < 0.017);
}

TEST_CASE("Dropout2d masks are reproduced by a restored stream and applied in backward") {
  const Tensor x = test_tensor(Shape{3, 4, 2, 3}, 4, 0.5f, 1.5f);
  Rng rng(21, RngStream::dropout);
  auto layer = make_layer(dropout2d(0.5), nullptr);
  run_forward(*layer, x, true, &rng);
  const RngState saved = rng.state();
  const Tensor first = run_forward(*layer, x, true, &rng);
  Rng restored(saved);
  CHECK(same_bits(run_forward(*make_layer(dropout2d(0.5), nullptr), x, true, &restored), first));
  CHECK_FALSE(same_bits(run_forward(*layer, x, true, &rng), first));

  // Backward after a forward applies that forward's mask.
  rng = Rng(saved);
  const Tensor y = run_forward(*layer, x, true, &rng);
  const Tensor dy = test_tensor(x.shape(), 5);
  Tensor dx(x.shape());
  layer->backward(x, y, dy, &dx);
  for (int64_t i = 0; i < x.numel(); ++i) CHECK(dx[i] == (y[i] == 0.0f ? 0.0f : dy[i] * 2.0f));
  RunContext context;
  context.training = true;
  context.dropout_rng = &rng;
  check_layer_gradients(*layer, x, context, [&] { rng = Rng(saved); });
}

TEST_CASE("Dropout2d refuses invalid p, inputs without channels and a missing stream") {
  CHECK_THROWS_AS(make_layer(dropout2d(1.0), nullptr), Error);
  CHECK_THROWS_AS(make_layer(dropout2d(-0.5), nullptr), Error);
  CHECK_THROWS_AS(make_layer(dropout2d(std::nan("")), nullptr), Error);
  auto layer = make_layer(dropout2d(0.5), nullptr);
  CHECK(layer->preserves_shape());
  CHECK_THROWS_AS(layer->output_shape(Shape{4, 5}), Error);
  CHECK(layer->output_shape(Shape{4, 5, 6}) == Shape{4, 5, 6});
  try {
    run_forward(*layer, test_tensor(Shape{2, 2, 2, 2}, 1), true, nullptr);
    FAIL("no stream accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_STATE);
  }
  // An empty batch draws nothing and does not divide by zero.
  Rng rng(1, RngStream::dropout);
  const RngState before = rng.state();
  run_forward(*layer, Tensor(Shape{0, 3, 2, 2}), true, &rng);
  CHECK(rng.state() == before);
}
