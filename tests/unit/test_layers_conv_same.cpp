// Conv2d(padding='same'): against PyTorch 1.13 (reference/layer_refs.h) for even and odd
// kernels with dilation, against a 'valid' convolution of an explicitly zero-padded input
// (total dilation (k - 1), the smaller half before), finite-difference gradients, and the
// refusal of strides other than 1.
#include <doctest/doctest.h>

#include <string>

#include "layer_reference.h"
#include "reference/layer_refs.h"
#include "test_layers_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig conv_same(int64_t in, int64_t out, Size2 kernel, Size2 dilation = {1, 1},
                      bool bias = true) {
  LayerConfig c(LayerKind::conv2d);
  auto &o = c.as<Conv2dConfig>();
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = kernel;
  o.dilation = dilation;
  o.bias = bias;
  o.padding_same = true;
  return c;
}

// x zero-padded by (top, bottom, left, right).
Tensor pad(const Tensor &x, int64_t top, int64_t bottom, int64_t left, int64_t right) {
  const Shape &s = x.shape();
  Tensor out(Shape{s[0], s[1], s[2] + top + bottom, s[3] + left + right});
  out.zero();
  for (int64_t p = 0; p < s[0] * s[1]; ++p) {
    for (int64_t y = 0; y < s[2]; ++y) {
      for (int64_t col = 0; col < s[3]; ++col) {
        out[(p * out.shape()[2] + y + top) * out.shape()[3] + col + left] =
            x[(p * s[2] + y) * s[3] + col];
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Conv2d padding='same' matches PyTorch for even and odd, dilated kernels") {
  check_against_reference(*make_layer(conv_same(2, 3, {2, 3}), nullptr),
                          torch_refs::conv_same_even);
  check_against_reference(*make_layer(conv_same(2, 2, {3, 3}, {2, 2}), nullptr),
                          torch_refs::conv_same_dilated_odd);
  check_against_reference(*make_layer(conv_same(2, 2, {3, 4}, {2, 1}, false), nullptr),
                          torch_refs::conv_same_dilated_even);
  check_against_reference(*make_layer(conv_same(1, 2, {2, 1}, {3, 1}), nullptr),
                          torch_refs::conv_same_dilated_asym_rows);
}

TEST_CASE("Conv2d padding='same' equals a valid convolution of the asymmetrically padded input") {
  struct Case {
    Size2 kernel, dilation;
    Shape input;
  };
  const Case cases[] = {
      {{2, 2}, {1, 1}, Shape{2, 2, 5, 6}},  // total 1: nothing before, one after
      {{4, 3}, {1, 2}, Shape{1, 2, 6, 7}},  // rows 3 = 1 + 2, columns 4 = 2 + 2
      {{5, 5}, {1, 1}, Shape{2, 2, 2, 3}},  // input smaller than the kernel
      {{1, 1}, {3, 3}, Shape{1, 2, 3, 3}},  // no padding at all
  };
  for (const Case &k : cases) {
    INFO("kernel " << k.kernel.to_string() << ", dilation " << k.dilation.to_string());
    Rng rng(11, RngStream::init);
    auto same = make_layer(conv_same(2, 3, k.kernel, k.dilation), &rng);
    LayerConfig valid_config = conv_same(2, 3, k.kernel, k.dilation);
    valid_config.as<Conv2dConfig>().padding_same = false;
    auto valid = make_layer(valid_config, nullptr);
    TensorCollector from, to;
    same->visit_tensors("", from);
    valid->visit_tensors("", to);
    for (size_t i = 0; i < from.values.size(); ++i) *to.values[i] = *from.values[i];

    const Tensor x = test_tensor(k.input, 3);
    const Tensor y = run_forward(*same, x, false);
    CHECK(y.shape() == Shape{k.input[0], 3, k.input[2], k.input[3]});
    const int64_t total_h = k.dilation.h * (k.kernel.h - 1);
    const int64_t total_w = k.dilation.w * (k.kernel.w - 1);
    const Tensor padded =
        pad(x, total_h / 2, total_h - total_h / 2, total_w / 2, total_w - total_w / 2);
    const Tensor expected = run_forward(*valid, padded, false);
    REQUIRE(expected.shape() == y.shape());
    for (int64_t i = 0; i < y.numel(); ++i)
      CHECK(y[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  }
}

TEST_CASE("Conv2d padding='same' gradients match finite differences") {
  const Tensor x = test_tensor(Shape{2, 2, 5, 6}, 4);
  check_config_gradients(conv_same(2, 3, {2, 3}), x, false);
  check_config_gradients(conv_same(2, 2, {3, 4}, {2, 1}), x, false);
  check_config_gradients(conv_same(2, 2, {2, 2}, {1, 3}, false), x, false);
}

TEST_CASE("Conv2d padding='same' refuses strides and explicit padding") {
  LayerConfig strided = conv_same(2, 3, {3, 3});
  strided.as<Conv2dConfig>().stride = {2, 1};
  try {
    make_layer(strided, nullptr);
    FAIL("a strided 'same' convolution was accepted");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK(std::string(e.what()).find("padding='same' is not supported for strided") !=
          std::string::npos);
  }
  LayerConfig padded = conv_same(2, 3, {3, 3});
  padded.as<Conv2dConfig>().padding = {1, 1};
  CHECK_THROWS_AS(make_layer(padded, nullptr), Error);
  auto layer = make_layer(conv_same(2, 3, {2, 4}), nullptr);
  CHECK(layer->config().as<Conv2dConfig>().padding_same);
  CHECK(layer->config() == make_layer(layer->config(), nullptr)->config());
  CHECK(layer->output_shape(Shape{3, 2, 1, 1}) == Shape{3, 3, 1, 1});
  CHECK_THROWS_AS(layer->output_shape(Shape{3, 4, 5, 5}), Error);  // channels
}
