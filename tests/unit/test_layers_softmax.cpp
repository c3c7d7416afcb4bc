// Softmax, LogSoftmax and Identity: values and gradients against PyTorch 1.13 over several
// dims (reference/layer_refs.h), stability on large inputs, finite-difference gradients, and
// the dims they refuse.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "layer_reference.h"
#include "reference/layer_refs.h"
#include "test_layers_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig softmax(int32_t dim, bool log = false) {
  LayerConfig c = kind_config(log ? LayerKind::log_softmax : LayerKind::softmax);
  c.as<SoftmaxConfig>().dim = dim;
  return c;
}

}  // namespace

TEST_CASE("Softmax and LogSoftmax match PyTorch over every kind of dim") {
  check_against_reference(*make_layer(softmax(1), nullptr), torch_refs::softmax_dim1);
  check_against_reference(*make_layer(softmax(1), nullptr), torch_refs::softmax_channels);
  check_against_reference(*make_layer(softmax(-2), nullptr), torch_refs::softmax_dim_minus2);
  check_against_reference(*make_layer(softmax(-1, true), nullptr), torch_refs::log_softmax_last);
  check_against_reference(*make_layer(softmax(2, true), nullptr),
                          torch_refs::log_softmax_dim2_of_4);
}

TEST_CASE("Softmax subtracts the maximum: huge inputs give finite, exact results") {
  const Tensor x = tensor_of(Shape{2, 3}, {1e4f, 1e4f, -1e4f, 1000.0f, 0.0f, -1000.0f});
  const Tensor y = run_forward(*make_layer(softmax(1), nullptr), x, false);
  CHECK(y[0] == 0.5f);
  CHECK(y[1] == 0.5f);
  CHECK(y[2] == 0.0f);
  CHECK(y[3] == 1.0f);
  const Tensor l = run_forward(*make_layer(softmax(-1, true), nullptr), x, false);
  CHECK(l[0] == doctest::Approx(-std::log(2.0)));
  CHECK(l[2] == -2e4f - static_cast<float>(std::log(2.0)));
  CHECK(l[3] == 0.0f);
  CHECK(l[4] == -1000.0f);
  CHECK(l[5] == -2000.0f);
}

TEST_CASE("Softmax and LogSoftmax gradients match finite differences") {
  const Tensor x = test_tensor(Shape{2, 3, 4, 2}, 5, -2.0f, 2.0f);
  for (bool log : {false, true}) {
    for (int32_t dim : {1, 2, 3, -1, -3}) {
      INFO("log " << log << ", dim " << dim);
      check_config_gradients(softmax(dim, log), x, false);
    }
  }
  check_config_gradients(softmax(1, true), test_tensor(Shape{5, 7}, 6, -3.0f, 3.0f), false);
}

TEST_CASE("Softmax refuses the batch dim and dims outside the input") {
  CHECK_THROWS_AS(make_layer(softmax(4), nullptr), Error);
  CHECK_THROWS_AS(make_layer(softmax(-5), nullptr), Error);
  auto layer = make_layer(softmax(0), nullptr);
  try {
    layer->output_shape(Shape{2, 3});
    FAIL("dim 0 accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK(std::string(e.what()).find("batch") != std::string::npos);
  }
  CHECK_THROWS_AS(make_layer(softmax(-2), nullptr)->output_shape(Shape{2, 3}), Error);  // = 0
  CHECK_THROWS_AS(make_layer(softmax(3), nullptr)->output_shape(Shape{2, 3, 4}), Error);
  CHECK(make_layer(softmax(-3), nullptr)->output_shape(Shape{2, 3, 4, 5}) == Shape{2, 3, 4, 5});
  CHECK(make_layer(softmax(2, true), nullptr)->config() == softmax(2, true));
  CHECK(make_layer(softmax(2, true), nullptr)->preserves_shape());
}

TEST_CASE("Identity passes values and gradients through unchanged") {
  auto layer = make_layer(kind_config(LayerKind::identity), nullptr);
  CHECK(layer->config().kind() == LayerKind::identity);
  CHECK(layer->preserves_shape());
  const Tensor x = test_tensor(Shape{3, 2, 5}, 7);
  const Tensor y = run_forward(*layer, x, true);
  CHECK(y.shape() == x.shape());
  CHECK(std::memcmp(x.data(), y.data(), x.byte_size()) == 0);
  const Tensor dy = test_tensor(x.shape(), 8);
  Tensor dx(x.shape());
  layer->backward(x, y, dy, &dx);
  CHECK(std::memcmp(dx.data(), dy.data(), dy.byte_size()) == 0);
  layer->backward(x, y, dy, nullptr);  // no input gradient wanted
}
