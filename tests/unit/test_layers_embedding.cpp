// Embedding: lookups and weight gradients against PyTorch 1.13 (reference/layer_refs.h),
// PyTorch's N(0, 1) initialisation with the padding row zeroed, padding_idx counted from the
// end, no gradient for the padding row, and the errors for indices that are not valid.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "layer_reference.h"
#include "reference/layer_refs.h"
#include "test_layers_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig embedding(int64_t n, int64_t dim) {
  LayerConfig c(LayerKind::embedding);
  auto &o = c.as<EmbeddingConfig>();
  o.num_embeddings = n;
  o.embedding_dim = dim;
  return c;
}

LayerConfig embedding(int64_t n, int64_t dim, int64_t padding_idx) {
  LayerConfig c = embedding(n, dim);
  c.as<EmbeddingConfig>().has_padding_idx = true;
  c.as<EmbeddingConfig>().padding_idx = padding_idx;
  return c;
}

Tensor &weight_of(Layer &layer, TensorCollector &state) {
  layer.visit_tensors("", state);
  REQUIRE(state.names.size() == 1);
  REQUIRE(state.names[0] == "weight");
  return *state.values[0];
}

}  // namespace

TEST_CASE("Embedding matches PyTorch's lookups and accumulated weight gradients") {
  check_against_reference(*make_layer(embedding(7, 3, -2), nullptr), torch_refs::embedding_padding,
                          false);
  check_against_reference(*make_layer(embedding(4, 2), nullptr), torch_refs::embedding_3d, false);
}

TEST_CASE("Embedding has no input gradient: backward zero-fills it") {
  auto layer = make_layer(embedding(5, 4), nullptr);
  const Tensor x = tensor_of(Shape{2, 3}, {0, 4, 4, 1, 2, 3});
  const Tensor y = run_forward(*layer, x, true);
  CHECK(y.shape() == Shape{2, 3, 4});
  Tensor dx(x.shape());
  dx.fill(std::numeric_limits<float>::quiet_NaN());
  layer->backward(x, y, test_tensor(y.shape(), 1), &dx);
  for (int64_t i = 0; i < dx.numel(); ++i) CHECK(dx[i] == 0.0f);
  layer->backward(x, y, test_tensor(y.shape(), 1), nullptr);
}

TEST_CASE("Embedding weight gradients match finite differences; the padding row gets none") {
  Rng rng(3, RngStream::init);
  auto layer = make_layer(embedding(6, 3, 4), &rng);
  const Tensor x = tensor_of(Shape{3, 4}, {4, 1, 1, 0, 5, 4, 2, 1, 0, 0, 4, 5});
  Tensor y(layer->output_shape(x.shape()));
  const Tensor w = test_tensor(y.shape(), 2);
  TensorCollector state;
  Tensor &weight = weight_of(*layer, state);
  layer->forward(x, y, RunContext{});
  layer->backward(x, y, w, nullptr);
  const Tensor analytic = *state.grads[0];
  // Row 3 is never looked up, row 4 is padding: both have a zero gradient.
  for (int64_t j = 0; j < 3; ++j) {
    CHECK(analytic[3 * 3 + j] == 0.0f);
    CHECK(analytic[4 * 3 + j] == 0.0f);
    CHECK(analytic[1 * 3 + j] != 0.0f);
  }
  // The padding row's output does not depend on training it: exclude it from the differences
  // (as PyTorch does, its gradient is zero by definition, not by derivative).
  auto objective = [&] {
    layer->forward(x, y, RunContext{});
    double sum = 0.0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      if (x[i / 3] != 4.0f) sum += static_cast<double>(y[i]) * w[i];
    }
    return sum;
  };
  check_against_finite_differences(weight, analytic, objective, "weight");
}

TEST_CASE("Embedding initialises N(0, 1) from the init stream with the padding row zeroed") {
  Rng rng(9, RngStream::init);
  auto layer = make_layer(embedding(40, 50, -1), &rng);
  TensorCollector state;
  const Tensor &weight = weight_of(*layer, state);
  Rng replay(9, RngStream::init);
  double sum = 0.0, sum_sq = 0.0;
  for (int64_t i = 0; i < weight.numel(); ++i) {
    const float drawn = replay.normal();
    if (i / 50 == 39) {
      CHECK(weight[i] == 0.0f);  // padding_idx -1 is row 39
      continue;
    }
    CHECK(weight[i] == drawn);
    sum += drawn;
    sum_sq += static_cast<double>(drawn) * drawn;
  }
  CHECK(replay.state() == rng.state());  // one draw per element, padding row included
  const double count = 39 * 50, mean = sum / count, var = sum_sq / count - mean * mean;
  CHECK(std::fabs(mean) < 0.1);  // 1950 draws: 4.4 standard deviations
  CHECK(std::fabs(var - 1.0) < 0.15);
  CHECK(layer->config().as<EmbeddingConfig>().padding_idx == 39);
  CHECK(layer->config().as<EmbeddingConfig>().has_padding_idx);
}

TEST_CASE("Embedding refuses indices that are not integers in range, naming value and position") {
  auto layer = make_layer(embedding(7, 2), nullptr);
  const auto message = [&](float bad) {
    Tensor x = tensor_of(Shape{2, 3}, {0, 1, 2, 3, 4, 5});
    x[4] = bad;  // position [1, 1]
    Tensor y(layer->output_shape(x.shape()));
    y.fill(-3.0f);
    std::string text;
    try {
      layer->forward(x, y, RunContext{});
    } catch (const Error &e) {
      CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
      text = e.what();
    }
    if (text.empty()) return text;
    for (int64_t i = 0; i < y.numel(); ++i) CHECK(y[i] == -3.0f);  // nothing written
    CHECK(text.find("[1, 1]") != std::string::npos);
    return text;
  };
  CHECK(message(2.5f).find("index 2.5 at position [1, 1] is not an integer") != std::string::npos);
  CHECK(message(7.0f).find("index 7 at position [1, 1] is out of range [0, 7)") !=
        std::string::npos);
  CHECK(message(-1.0f).find("index -1 ") != std::string::npos);
  CHECK(message(std::nanf("")).find("not an integer") != std::string::npos);
  CHECK(message(std::numeric_limits<float>::infinity()).find("out of range") != std::string::npos);
  CHECK(message(1e20f).find("out of range") != std::string::npos);
  CHECK(message(6.0f).empty());  // the last row is fine
}

TEST_CASE("Embedding refuses invalid sizes, padding_idx and input ranks") {
  CHECK_THROWS_AS(make_layer(embedding(0, 3), nullptr), Error);
  CHECK_THROWS_AS(make_layer(embedding(3, 0), nullptr), Error);
  CHECK_THROWS_AS(make_layer(embedding(int64_t{1} << 31, 1), nullptr), Error);
  CHECK_THROWS_AS(make_layer(embedding(7, 3, 7), nullptr), Error);
  CHECK_THROWS_AS(make_layer(embedding(7, 3, -8), nullptr), Error);
  CHECK(make_layer(embedding(7, 3, -7), nullptr)->config().as<EmbeddingConfig>().padding_idx == 0);
  CHECK(make_layer(embedding(7, 3), nullptr)->config() == embedding(7, 3));
  // A table too large for memory is refused before allocating.
  CHECK_THROWS_AS(make_layer(embedding(INT32_MAX, INT32_MAX), nullptr), Error);
  auto layer = make_layer(embedding(7, 3), nullptr);
  CHECK(layer->output_shape(Shape{5}) == Shape{5, 3});
  CHECK(layer->output_shape(Shape{5, 2, 4}) == Shape{5, 2, 4, 3});
  CHECK_THROWS_AS(layer->output_shape(Shape{5, 2, 4, 1}), Error);
  CHECK_THROWS_AS(layer->output_shape(Shape{}), Error);
}
