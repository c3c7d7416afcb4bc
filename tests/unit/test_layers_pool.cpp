// AvgPool2d and AdaptiveAvgPool2d: values and gradients against PyTorch 1.13
// (reference/layer_refs.h), hand-computed windows and divisors, finite-difference gradients,
// and the refusal of invalid configurations and inputs.
#include <doctest/doctest.h>

#include <string>

#include "layer_reference.h"
#include "reference/layer_refs.h"
#include "test_layers_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig avg_pool(Size2 kernel, Size2 stride = {0, 0}, Size2 padding = {0, 0},
                     bool count_include_pad = true) {
  LayerConfig c(LayerKind::avg_pool2d);
  auto &o = c.as<AvgPool2dConfig>();
  o.kernel_size = kernel;
  o.stride = stride;
  o.padding = padding;
  o.count_include_pad = count_include_pad;
  return c;
}

LayerConfig adaptive(Size2 output_size) {
  LayerConfig c(LayerKind::adaptive_avg_pool2d);
  auto &o = c.as<AdaptiveAvgPool2dConfig>();
  o.output_size = output_size;
  return c;
}

std::string error_of(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("AvgPool2d matches PyTorch with and without counting the padding") {
  check_against_reference(*make_layer(avg_pool({3, 2}, {2, 1}, {1, 1}, true), nullptr),
                          torch_refs::avg_pool_pad_included);
  check_against_reference(*make_layer(avg_pool({3, 2}, {2, 1}, {1, 1}, false), nullptr),
                          torch_refs::avg_pool_pad_excluded);
  check_against_reference(*make_layer(avg_pool({2, 2}), nullptr),
                          torch_refs::avg_pool_default_stride);
}

TEST_CASE("AvgPool2d divides by the kernel or by the elements inside the input") {
  // [[1, 2], [3, 4]], kernel 2, stride 1, padding 1: a 3 x 3 output whose corner windows hold
  // one element, edge windows two, the centre all four.
  const Tensor x = tensor_of(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor with_pad =
      run_forward(*make_layer(avg_pool({2, 2}, {1, 1}, {1, 1}), nullptr), x, false);
  const std::vector<float> included = {0.25f, 0.75f, 0.5f, 1.0f, 2.5f, 1.5f, 0.75f, 1.75f, 1.0f};
  for (int64_t i = 0; i < 9; ++i) CHECK(with_pad[i] == included[static_cast<size_t>(i)]);
  const Tensor without =
      run_forward(*make_layer(avg_pool({2, 2}, {1, 1}, {1, 1}, false), nullptr), x, false);
  const std::vector<float> excluded = {1.0f, 1.5f, 2.0f, 2.0f, 2.5f, 3.0f, 3.0f, 3.5f, 4.0f};
  for (int64_t i = 0; i < 9; ++i) CHECK(without[i] == excluded[static_cast<size_t>(i)]);
}

TEST_CASE("AvgPool2d gradients match finite differences") {
  const Tensor x = test_tensor(Shape{2, 3, 6, 7}, 1);
  check_config_gradients(avg_pool({3, 2}, {2, 1}, {1, 1}, true), x, false);
  check_config_gradients(avg_pool({3, 2}, {2, 1}, {1, 1}, false), x, false);
  check_config_gradients(avg_pool({2, 3}, {1, 2}, {1, 0}, false), x, false);  // overlapping rows
  check_config_gradients(avg_pool({4, 4}, {0, 0}, {2, 2}, false), x, false);
}

TEST_CASE("AvgPool2d refuses invalid configurations and inputs, naming them") {
  CHECK_THROWS_AS(make_layer(avg_pool({0, 2}), nullptr), Error);
  CHECK_THROWS_AS(make_layer(avg_pool({2, 2}, {-1, 1}), nullptr), Error);
  CHECK(error_of([] {
          make_layer(avg_pool({3, 2}, {1, 1}, {2, 0}), nullptr);
        }).find("padding must be in [0, kernel_size / 2]") != std::string::npos);
  auto layer = make_layer(avg_pool({3, 3}), nullptr);
  CHECK(layer->config().as<AvgPool2dConfig>().stride ==
        Size2{3, 3});  // stride 0: the kernel, as PyTorch
  CHECK(layer->config() == make_layer(layer->config(), nullptr)->config());
  CHECK(layer->output_shape(Shape{2, 3, 7, 9}) == Shape{2, 3, 2, 3});
  CHECK_THROWS_AS(layer->output_shape(Shape{2, 3, 2, 9}), Error);  // smaller than the kernel
  CHECK(error_of([&] {
          layer->output_shape(Shape{2, 9});
        }).find("[N, C, H, W]") != std::string::npos);
}

TEST_CASE("AdaptiveAvgPool2d matches PyTorch for sizes that do not divide the input") {
  check_against_reference(*make_layer(adaptive({3, 4}), nullptr),
                          torch_refs::adaptive_avg_pool_3x4);
  check_against_reference(*make_layer(adaptive({1, 1}), nullptr),
                          torch_refs::adaptive_avg_pool_global);
  check_against_reference(*make_layer(adaptive({4, 9}), nullptr),
                          torch_refs::adaptive_avg_pool_upsample);
}

TEST_CASE("AdaptiveAvgPool2d windows run from floor(i H / oh) to ceil((i + 1) H / oh)") {
  // Five rows into three: rows [0, 2), [1, 4), [3, 5), overlapping.
  const Tensor x = tensor_of(Shape{1, 1, 5, 1}, {0, 1, 2, 3, 4});
  const Tensor y = run_forward(*make_layer(adaptive({3, 1}), nullptr), x, false);
  CHECK(y.shape() == Shape{1, 1, 3, 1});
  CHECK(y[0] == 0.5f);
  CHECK(y[1] == 2.0f);
  CHECK(y[2] == 3.5f);
  // Global pooling is the plane's mean; each plane is pooled on its own.
  const Tensor z = run_forward(*make_layer(adaptive({1, 1}), nullptr),
                               tensor_of(Shape{1, 2, 2, 2}, {1, 2, 3, 6, -1, -1, -1, -5}), false);
  CHECK(z.shape() == Shape{1, 2, 1, 1});
  CHECK(z[0] == 3.0f);
  CHECK(z[1] == -2.0f);
}

TEST_CASE("AdaptiveAvgPool2d gradients match finite differences") {
  const Tensor x = test_tensor(Shape{2, 2, 5, 7}, 3);
  for (Size2 out : {Size2{3, 4}, Size2{1, 1}, Size2{5, 7}, Size2{2, 3}, Size2{6, 9}}) {
    INFO("output " << out.to_string());
    check_config_gradients(adaptive(out), x, false);
  }
}

TEST_CASE("AdaptiveAvgPool2d refuses empty output sizes and non-image inputs") {
  CHECK(error_of([] {
          make_layer(adaptive({0, 1}), nullptr);
        }).find("output_size") != std::string::npos);
  CHECK_THROWS_AS(make_layer(adaptive({1, -3}), nullptr), Error);
  CHECK_THROWS_AS(make_layer(adaptive({int64_t{1} << 31, 1}), nullptr), Error);
  auto layer = make_layer(adaptive({2, 3}), nullptr);
  CHECK(layer->config() == adaptive({2, 3}));
  CHECK(layer->output_shape(Shape{4, 5, 1, 1}) == Shape{4, 5, 2, 3});
  CHECK_THROWS_AS(layer->output_shape(Shape{4, 5, 6}), Error);
  CHECK_THROWS_AS(layer->output_shape(Shape{4, 5, 0, 6}), Error);
}
