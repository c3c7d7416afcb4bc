// Conv2d, MaxPool2d and Flatten: forward values against direct loops, finite-difference
// gradients, PyTorch's initialisation and tie/padding rules, and their shape checks in a
// Graph network.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "layers/conv2d.h"
#include "layers/conv_gemm.h"
#include "layers/graph.h"
#include "test_layers_util.h"
#include "train/model.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::testing;

namespace {

LayerConfig conv(int64_t in, int64_t out, Size2 kernel, Size2 stride = {1, 1},
                 Size2 padding = {0, 0}, Size2 dilation = {1, 1}, int64_t groups = 1,
                 bool bias = true) {
  LayerConfig c(LayerKind::conv2d);
  auto &o = c.as<Conv2dConfig>();
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = kernel;
  o.stride = stride;
  o.padding = padding;
  o.dilation = dilation;
  o.groups = groups;
  o.bias = bias;
  return c;
}

LayerConfig pool(Size2 kernel, Size2 stride = {0, 0}, Size2 padding = {0, 0},
                 Size2 dilation = {1, 1}) {
  LayerConfig c(LayerKind::max_pool2d);
  auto &o = c.as<MaxPool2dConfig>();
  o.kernel_size = kernel;
  o.stride = stride;
  o.padding = padding;
  o.dilation = dilation;
  return c;
}

int64_t extent(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// Every product of the definition of a grouped, strided, padded, dilated convolution: f(input
// index, weight index, output index, output channel) for each term that reads the input.
template <class F>
void for_each_conv_term(const Shape &input, const LayerConfig &config, F &&f) {
  const Conv2dConfig &c = config.as<Conv2dConfig>();
  const int64_t n = input[0], ch = input[1], h = input[2], wd = input[3];
  const int64_t oc = c.out_channels, kh = c.kernel_size.h, kw = c.kernel_size.w;
  const int64_t oh = extent(h, kh, c.stride.h, c.padding.h, c.dilation.h);
  const int64_t ow = extent(wd, kw, c.stride.w, c.padding.w, c.dilation.w);
  const int64_t group_in = ch / c.groups, group_out = oc / c.groups;
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t o = 0; o < oc; ++o) {
      for (int64_t yy = 0; yy < oh; ++yy) {
        for (int64_t xx = 0; xx < ow; ++xx) {
          const int64_t g = o / group_out;
          for (int64_t ic = 0; ic < group_in; ++ic) {
            for (int64_t i = 0; i < kh; ++i) {
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iy = yy * c.stride.h - c.padding.h + i * c.dilation.h;
                const int64_t ix = xx * c.stride.w - c.padding.w + j * c.dilation.w;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                f(((s * ch + g * group_in + ic) * h + iy) * wd + ix,
                  ((o * group_in + ic) * kh + i) * kw + j, ((s * oc + o) * oh + yy) * ow + xx, o);
              }
            }
          }
        }
      }
    }
  }
}

Shape reference_output_shape(const Shape &input, const LayerConfig &config) {
  const Conv2dConfig &c = config.as<Conv2dConfig>();
  return Shape{input[0], c.out_channels,
               extent(input[2], c.kernel_size.h, c.stride.h, c.padding.h, c.dilation.h),
               extent(input[3], c.kernel_size.w, c.stride.w, c.padding.w, c.dilation.w)};
}

Tensor to_float(const std::vector<double> &values, const Shape &shape) {
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(values[static_cast<size_t>(i)]);
  return t;
}

// The convolution by its definition, in double.
Tensor reference_conv(const Tensor &x, const Tensor &w, const Tensor *b,
                      const LayerConfig &config) {
  const Shape out = reference_output_shape(x.shape(), config);
  std::vector<double> y(static_cast<size_t>(out.numel()));
  for (int64_t k = 0; k < out.numel(); ++k)
    y[static_cast<size_t>(k)] = b ? (*b)[k / (out[2] * out[3]) % out[1]] : 0.0;
  for_each_conv_term(x.shape(), config, [&](int64_t xi, int64_t wi, int64_t yi, int64_t) {
    y[static_cast<size_t>(yi)] += static_cast<double>(x[xi]) * w[wi];
  });
  return to_float(y, out);
}

// Its adjoint, in double: the gradients of sum(y * dy) by input, weight and bias.
struct ConvGradients {
  Tensor dx, dw, db;
};
ConvGradients reference_conv_backward(const Tensor &x, const Tensor &w, const Tensor &dy,
                                      const LayerConfig &config) {
  std::vector<double> dx(static_cast<size_t>(x.numel())), dw(static_cast<size_t>(w.numel())),
      db(static_cast<size_t>(config.as<Conv2dConfig>().out_channels));
  for_each_conv_term(x.shape(), config, [&](int64_t xi, int64_t wi, int64_t yi, int64_t) {
    dx[static_cast<size_t>(xi)] += static_cast<double>(dy[yi]) * w[wi];
    dw[static_cast<size_t>(wi)] += static_cast<double>(dy[yi]) * x[xi];
  });
  const Shape &out = dy.shape();
  for (int64_t k = 0; k < out.numel(); ++k)
    db[static_cast<size_t>(k / (out[2] * out[3]) % out[1])] += dy[k];
  return {to_float(dx, x.shape()), to_float(dw, w.shape()),
          to_float(db, Shape{static_cast<int64_t>(db.size())})};
}

// Max pooling by its definition: -inf padding, first maximum in row-major order.
Tensor reference_pool(const Tensor &x, const LayerConfig &config) {
  const MaxPool2dConfig &c = config.as<MaxPool2dConfig>();
  const int64_t n = x.shape()[0], ch = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
  const int64_t oh = extent(h, c.kernel_size.h, c.stride.h, c.padding.h, c.dilation.h);
  const int64_t ow = extent(wd, c.kernel_size.w, c.stride.w, c.padding.w, c.dilation.w);
  Tensor y(Shape{n, ch, oh, ow});
  for (int64_t p = 0; p < n * ch; ++p) {
    for (int64_t yy = 0; yy < oh; ++yy) {
      for (int64_t xx = 0; xx < ow; ++xx) {
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < c.kernel_size.h; ++i) {
          for (int64_t j = 0; j < c.kernel_size.w; ++j) {
            const int64_t iy = yy * c.stride.h - c.padding.h + i * c.dilation.h;
            const int64_t ix = xx * c.stride.w - c.padding.w + j * c.dilation.w;
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            best = std::max(best, x[(p * h + iy) * wd + ix]);
          }
        }
        y[(p * oh + yy) * ow + xx] = best;
      }
    }
  }
  return y;
}

// Distinct values 0.01 apart in a shuffled order: no ties within any window, and no pair
// closer than the finite-difference step.
Tensor distinct_tensor(const Shape &shape, uint64_t seed) {
  Tensor t(shape);
  std::vector<float> values(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.01f * static_cast<float>(i) - 1.0f;
  Rng rng(seed, RngStream::shuffle);
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[rng.below(i)]);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = values[static_cast<size_t>(i)];
  return t;
}

void check_close(const Tensor &actual, const Tensor &expected, float tolerance) {
  REQUIRE(actual.shape() == expected.shape());
  for (int64_t i = 0; i < actual.numel(); ++i) {
    INFO("element " << i << ": " << actual[i] << " vs " << expected[i]);
    CHECK(std::fabs(actual[i] - expected[i]) <= tolerance * (1.0f + std::fabs(expected[i])));
  }
}

std::string error_of(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

// Layers and inputs that take each of Conv2d's paths.
struct ConvCase {
  LayerConfig config;
  Shape input;
};

std::vector<ConvCase> conv_cases() {
  return {
      {conv(3, 4, {3, 2}, {2, 1}, {1, 1}), Shape{2, 3, 7, 6}},
      {conv(3, 5, {3, 3}, {2, 2}, {1, 1}), Shape{3, 3, 8, 9}},
      {conv(4, 6, {3, 3}, {2, 1}, {1, 2}, {2, 1}, 2), Shape{2, 4, 9, 7}},
      {conv(4, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 4), Shape{2, 4, 5, 5}},  // depthwise
      {conv(2, 3, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, false), Shape{2, 2, 4, 3}},
      {conv(1, 2, {2, 2}, {3, 3}, {3, 2}), Shape{1, 1, 5, 4}},  // padding beyond the kernel
      // Stride 1 with output rows as wide as the input's (im2col copies whole shifted planes):
      {conv(3, 4, {3, 3}, {1, 1}, {1, 1}), Shape{2, 3, 6, 5}},
      {conv(2, 3, {3, 3}, {1, 1}, {2, 2}, {2, 2}), Shape{2, 2, 7, 6}},  // dilated
      {conv(1, 2, {5, 3}, {1, 1}, {4, 1}), Shape{1, 1, 2, 4}},          // taps reading only padding
      // Edge taps that read only padding for every output: lowered without them (im2col.h).
      {conv(3, 4, {3, 3}, {1, 1}, {1, 1}), Shape{3, 3, 1, 1}},             // the centre tap alone
      {conv(4, 6, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 2), Shape{2, 4, 2, 2}},  // 4 taps, grouped
      {conv(2, 3, {3, 3}, {1, 1}, {2, 2}, {2, 2}, 1, false), Shape{2, 2, 1, 3}},  // one row
      // Kernels of more rows than the trimmed gradient expands a block at a time.
      {conv(24, 24, {3, 3}, {1, 1}, {1, 1}), Shape{2, 24, 1, 1}},
      {conv(16, 40, {3, 3}, {2, 2}, {1, 1}), Shape{2, 16, 2, 2}},
      // Windows over the whole input, so no lowering (conv_gemm.h): the kernel the input's size,
      // grouped without bias, and a dilated kernel that skips rows (lowered as before).
      {conv(3, 4, {3, 2}, {1, 1}, {0, 0}), Shape{3, 3, 3, 2}},
      {conv(4, 6, {2, 2}, {3, 3}, {0, 0}, {1, 1}, 2, false), Shape{3, 4, 2, 2}},
      {conv(2, 3, {2, 2}, {1, 1}, {0, 0}, {2, 2}), Shape{2, 2, 3, 3}},
      // Output planes of at least kInPlaceMinPlane: GEMMs per sample in place (conv_gemm.h).
      {conv(3, 4, {3, 3}, {1, 1}, {1, 1}), Shape{3, 3, 9, 8}},
      {conv(4, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2, false), Shape{2, 4, 8, 9}},
  };
}

// A case's layer, initialised from `seed`, after a forward pass over a test input from
// `input_seed`.
struct ConvRun {
  std::unique_ptr<Layer> layer;
  TensorCollector state;
  Tensor x, y;
};

ConvRun run_case(const ConvCase &c, uint64_t seed, uint32_t input_seed) {
  ConvRun r;
  Rng rng(seed, RngStream::init);
  r.layer = make_layer(c.config, &rng);
  r.layer->visit_tensors("", r.state);
  r.x = test_tensor(c.input, input_seed);
  r.y = run_forward(*r.layer, r.x, true);
  return r;
}

}  // namespace

TEST_CASE("Conv2d forward equals the direct 7-loop convolution") {
  const std::vector<ConvCase> cases = conv_cases();
  for (size_t k = 0; k < cases.size(); ++k) {
    INFO("case " << k);
    const ConvRun r = run_case(cases[k], 3, 11 + static_cast<uint32_t>(k));
    check_close(r.y,
                reference_conv(r.x, *r.state.find("weight"), r.state.find("bias"), cases[k].config),
                1e-5f);
  }
}

// Tighter than finite differences: a gradient 1% off passes those, not this.
TEST_CASE("Conv2d backward equals the adjoint of the direct convolution") {
  const std::vector<ConvCase> cases = conv_cases();
  for (size_t k = 0; k < cases.size(); ++k) {
    INFO("case " << k);
    ConvRun r = run_case(cases[k], 4, 31 + static_cast<uint32_t>(k));
    const Tensor dy = test_tensor(r.y.shape(), 51 + static_cast<uint32_t>(k));
    Tensor dx(r.x.shape());
    r.layer->backward(r.x, r.y, dy, &dx);
    const ConvGradients expected =
        reference_conv_backward(r.x, *r.state.find("weight"), dy, cases[k].config);
    check_close(dx, expected.dx, 1e-5f);
    check_close(*r.state.grad("weight"), expected.dw, 1e-5f);
    if (cases[k].config.as<Conv2dConfig>().bias) {
      check_close(*r.state.grad("bias"), expected.db, 1e-5f);
    }
  }
}

TEST_CASE("Conv2d gradients match finite differences") {
  // Stride 2, padding 1, a non-square kernel.
  check_config_gradients(conv(3, 4, {3, 2}, {2, 2}, {1, 1}), test_tensor(Shape{2, 3, 6, 5}, 1),
                         true);
  // Groups, dilation, asymmetric stride and padding.
  check_config_gradients(conv(4, 6, {2, 3}, {1, 2}, {1, 2}, {2, 1}, 2),
                         test_tensor(Shape{2, 4, 5, 6}, 2), true);
  // No bias, depthwise.
  check_config_gradients(conv(3, 3, {3, 3}, {2, 1}, {1, 1}, {1, 1}, 3, false),
                         test_tensor(Shape{1, 3, 5, 4}, 3), true);
  // Output planes of 72 (the in-place GEMMs), grouped, with and without bias.
  static_assert(kInPlaceMinPlane <= 72, "these planes must take the in-place path");
  check_config_gradients(conv(4, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2),
                         test_tensor(Shape{2, 4, 8, 9}, 4), true);
  check_config_gradients(conv(2, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, false),
                         test_tensor(Shape{2, 2, 9, 8}, 5), true);
  // Lowered without the taps that read only padding: their weights' gradient is zero.
  check_config_gradients(conv(3, 4, {3, 3}, {1, 1}, {1, 1}), test_tensor(Shape{2, 3, 1, 1}, 6),
                         true);
  check_config_gradients(conv(4, 6, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 2),
                         test_tensor(Shape{2, 4, 2, 2}, 7), true);
  // A kernel the input's size: the GEMMs read the input unlowered.
  check_config_gradients(conv(3, 4, {3, 2}, {1, 1}, {0, 0}), test_tensor(Shape{3, 3, 3, 2}, 8),
                         true);
  check_config_gradients(conv(4, 6, {2, 2}, {1, 1}, {0, 0}, {1, 1}, 2, false),
                         test_tensor(Shape{2, 4, 2, 2}, 9), true);
}

TEST_CASE("Conv2d without its padding-only taps: zero gradient there, the same over chunks") {
  // A 3x3 kernel on 1x1 planes: only the centre tap reads the input.
  const LayerConfig c = conv(3, 4, {3, 3}, {1, 1}, {1, 1});
  Rng rng(21, RngStream::init);
  Conv2d whole(c.as<Conv2dConfig>(), &rng);
  Rng same(21, RngStream::init);
  Conv2d chunked(c.as<Conv2dConfig>(), &same);
  chunked.set_column_budget(1);  // one sample per chunk
  const Tensor x = test_tensor(Shape{5, 3, 1, 1}, 22);
  const Tensor y = run_forward(whole, x, true), yc = run_forward(chunked, x, true);
  check_close(yc, y, 1e-6f);
  const Tensor dy = test_tensor(y.shape(), 23);
  TensorCollector a, b;
  whole.visit_tensors("", a);
  chunked.visit_tensors("", b);
  REQUIRE(a.names[0] == "weight");
  Tensor &dw = *a.grads[0];
  for (int64_t i = 0; i < dw.numel(); ++i) dw[i] = 7.0f;  // backward must overwrite all of it
  Tensor dx(x.shape()), dxc(x.shape());
  whole.backward(x, y, dy, &dx);
  chunked.backward(x, yc, dy, &dxc);
  check_close(dxc, dx, 1e-6f);
  for (size_t i = 0; i < a.grads.size(); ++i) check_close(*b.grads[i], *a.grads[i], 1e-5f);
  for (int64_t i = 0; i < dw.numel(); ++i) {
    const bool centre = i % 9 == 4;
    INFO("weight gradient entry " << i);
    CHECK((dw[i] != 0.0f) == centre);  // random inputs: no centre entry is exactly zero
  }
}

TEST_CASE("Conv2d gives the same results when the batch is lowered in chunks") {
  // A budget of one float means one sample per chunk; the default lowers this batch at once.
  const LayerConfig c = conv(3, 4, {3, 2}, {2, 1}, {1, 1}, {1, 2});
  Rng rng(9, RngStream::init);
  Conv2d whole(c.as<Conv2dConfig>(), &rng);
  Rng same(9, RngStream::init);
  Conv2d chunked(c.as<Conv2dConfig>(), &same);
  chunked.set_column_budget(1);
  const Tensor x = test_tensor(Shape{5, 3, 6, 7}, 12);
  const Tensor y = run_forward(whole, x, true), yc = run_forward(chunked, x, true);
  check_close(yc, y, 1e-6f);
  const Tensor dy = test_tensor(y.shape(), 13);
  Tensor dx(x.shape()), dxc(x.shape());
  whole.backward(x, y, dy, &dx);
  chunked.backward(x, yc, dy, &dxc);
  check_close(dxc, dx, 1e-6f);
  TensorCollector a, b;
  whole.visit_tensors("", a);
  chunked.visit_tensors("", b);
  for (size_t i = 0; i < a.grads.size(); ++i) check_close(*b.grads[i], *a.grads[i], 1e-5f);
  // Finite differences through both paths of backward: columns reused from forward (one
  // chunk) and lowered again (many chunks).
  chunked.set_column_budget(1 << 30);
  RunContext context;
  context.training = true;
  check_layer_gradients(chunked, test_tensor(Shape{3, 3, 4, 5}, 15), context);
  chunked.set_column_budget(1);
  check_layer_gradients(chunked, test_tensor(Shape{3, 3, 4, 5}, 16), context);
  // The in-place GEMMs (output planes of 8 x 9) over several chunks.
  check_layer_gradients(chunked, test_tensor(Shape{3, 3, 8, 18}, 17), context);
}

TEST_CASE("Conv2d initialises like PyTorch: weight then bias, U(-1/sqrt(fan_in), +)") {
  Rng rng(5, RngStream::init), expected(5, RngStream::init);
  std::unique_ptr<Layer> layer = make_layer(conv(4, 6, {3, 2}, {1, 1}, {0, 0}, {1, 1}, 2), &rng);
  TensorCollector state;
  layer->visit_tensors("", state);
  REQUIRE(state.names == std::vector<std::string>{"weight", "bias"});
  CHECK(state.roles[0] == TensorRole::parameter);
  CHECK(state.values[0]->shape() == Shape{6, 2, 3, 2});
  CHECK(state.values[1]->shape() == Shape{6});
  const float bound = static_cast<float>(1.0 / std::sqrt(2.0 * 3 * 2));  // fan_in = 4/2 * 3 * 2
  for (int64_t i = 0; i < state.values[0]->numel(); ++i) {
    CHECK((*state.values[0])[i] == expected.uniform(-bound, bound));
  }
  for (int64_t i = 0; i < state.values[1]->numel(); ++i) {
    CHECK((*state.values[1])[i] == expected.uniform(-bound, bound));
  }
  CHECK(rng.state() == expected.state());
  // Without bias only the weight is drawn and reported.
  std::unique_ptr<Layer> no_bias =
      make_layer(conv(1, 2, {2, 2}, {1, 1}, {0, 0}, {1, 1}, 1, false), &rng);
  TensorCollector names;
  no_bias->visit_tensors("3.", names);
  CHECK(names.names == std::vector<std::string>{"3.weight"});
}

TEST_CASE("Conv2d and MaxPool2d refuse invalid configurations and inputs") {
  Rng rng(1, RngStream::init);
  CHECK_THROWS_AS(make_layer(conv(0, 2, {3, 3}), &rng), Error);
  CHECK_THROWS_AS(make_layer(conv(3, 4, {3, 3}, {1, 1}, {0, 0}, {1, 1}, 2), &rng), Error);
  CHECK_THROWS_AS(make_layer(conv(2, 2, {0, 3}), &rng), Error);
  CHECK_THROWS_AS(make_layer(conv(2, 2, {3, 3}, {0, 1}), &rng), Error);
  CHECK_THROWS_AS(make_layer(conv(2, 2, {3, 3}, {1, 1}, {-1, 0}), &rng), Error);
  CHECK_THROWS_AS(make_layer(conv(2, 2, {3, 3}, {1, 1}, {0, 0}, {0, 1}), &rng), Error);
  CHECK_THROWS_AS(make_layer(pool({3, 3}, {1, 1}, {2, 1}), &rng), Error);  // padding > k/2
  CHECK_THROWS_AS(make_layer(pool({0, 2}), &rng), Error);
  CHECK_THROWS_AS(make_layer(pool({2, 2}, {0, 1}), &rng), Error);

  std::unique_ptr<Layer> layer = make_layer(conv(3, 4, {3, 3}), &rng);
  CHECK(layer->output_shape(Shape{2, 3, 5, 4}) == Shape{2, 4, 3, 2});
  const std::string channels = error_of([&] { layer->output_shape(Shape{2, 2, 5, 5}); });
  CHECK(channels.find("[N, 3, H, W]") != std::string::npos);
  CHECK(channels.find("[2, 2, 5, 5]") != std::string::npos);
  CHECK_THROWS_AS(layer->output_shape(Shape{2, 3, 2, 5}), Error);  // smaller than the kernel
  CHECK_THROWS_AS(layer->output_shape(Shape{2, 3, 5}), Error);
}

TEST_CASE("MaxPool2d forward equals the direct definition") {
  const std::vector<LayerConfig> configs = {
      pool({2, 2}),                          // stride defaults to the kernel
      pool({3, 3}, {2, 2}, {1, 1}),          // padding counts as -inf
      pool({2, 3}, {1, 2}, {1, 1}),          // non-square
      pool({2, 2}, {1, 1}, {1, 0}, {2, 2}),  // dilation
  };
  for (size_t k = 0; k < configs.size(); ++k) {
    INFO("case " << k);
    std::unique_ptr<Layer> layer = make_layer(configs[k], nullptr);
    LayerConfig resolved = configs[k];
    resolved.as<MaxPool2dConfig>().stride = layer->config().as<MaxPool2dConfig>().stride;
    // Shifted below zero so that a padding treated as 0 would show.
    const Tensor x = test_tensor(Shape{2, 3, 7, 6}, 20 + static_cast<uint32_t>(k), -3.0f, -0.5f);
    check_close(run_forward(*layer, x, true), reference_pool(x, resolved), 0.0f);
  }
  CHECK(make_layer(pool({3, 2}), nullptr)->config().as<MaxPool2dConfig>().stride == Size2{3, 2});
}

TEST_CASE("MaxPool2d on small and large planes: PyTorch's rule for NaN, -inf, 0 and ties") {
  // Small output planes go through a tap table (layers/tap_table.h), large ones row by row.
  const std::vector<LayerConfig> configs = {
      pool({3, 3}, {2, 2}, {1, 1}),
      pool({3, 3}, {1, 1}, {1, 1}),
      pool({2, 3}, {1, 2}, {1, 1}),
      pool({2, 2}, {1, 1}, {1, 0}, {2, 2}),
  };
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  const float values[] = {-inf, -1.0f, -0.0f, 0.0f, 1.0f, 2.0f, nan};
  for (size_t k = 0; k < configs.size(); ++k) {
    for (const Shape &shape : {Shape{2, 2, 7, 6}, Shape{1, 2, 17, 16}}) {
      INFO("case " << k << ", input " << shape.to_string());
      std::unique_ptr<Layer> layer = make_layer(configs[k], nullptr);
      const MaxPool2dConfig c = layer->config().as<MaxPool2dConfig>();
      Rng rng(40 + k, RngStream::init);
      Tensor x(shape);
      for (int64_t i = 0; i < x.numel(); ++i) x[i] = values[rng.next_u32() % 7];
      const Tensor y = run_forward(*layer, x, true);
      Tensor dy(y.shape()), dx(x.shape()), expected_dx(x.shape());
      dy.fill(1.0f);
      expected_dx.fill(0.0f);
      layer->backward(x, y, dy, &dx);
      // The definition, window by window: from the first element inside the input, an element
      // replaces the maximum when it is larger or NaN (PyTorch's max_pool2d).
      const int64_t h = shape[2], w = shape[3], oh = y.shape()[2], ow = y.shape()[3];
      for (int64_t p = 0; p < shape[0] * shape[1]; ++p) {
        for (int64_t oy = 0; oy < oh; ++oy) {
          for (int64_t ox = 0; ox < ow; ++ox) {
            float best = -inf;
            int64_t arg = -1;
            for (int64_t i = 0; i < c.kernel_size.h; ++i) {
              for (int64_t j = 0; j < c.kernel_size.w; ++j) {
                const int64_t iy = oy * c.stride.h - c.padding.h + i * c.dilation.h;
                const int64_t ix = ox * c.stride.w - c.padding.w + j * c.dilation.w;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const int64_t at = (p * h + iy) * w + ix;
                if (arg < 0) arg = at;  // the window's first element, also when all are -inf
                if (x[at] > best || std::isnan(x[at])) {
                  best = x[at];
                  arg = at;
                }
              }
            }
            const float got = y[(p * oh + oy) * ow + ox];
            CHECK(std::memcmp(&got, &best, sizeof got) == 0);
            expected_dx[arg] += 1.0f;
          }
        }
      }
      for (int64_t i = 0; i < x.numel(); ++i) CHECK(dx[i] == expected_dx[i]);
    }
  }
}

TEST_CASE("MaxPool2d gradients match finite differences on inputs without ties") {
  for (const LayerConfig &c :
       {pool({2, 2}), pool({3, 3}, {2, 2}, {1, 1}), pool({2, 3}, {1, 1}, {1, 1}, {2, 1})}) {
    std::unique_ptr<Layer> layer = make_layer(c, nullptr);
    RunContext context;
    check_layer_gradients(*layer, distinct_tensor(Shape{2, 2, 6, 5}, 4), context);
  }
}

TEST_CASE("MaxPool2d sends the gradient to the first maximum of each window") {
  // All equal: every window's first element (row-major) wins.
  std::unique_ptr<Layer> layer = make_layer(pool({2, 2}), nullptr);
  Tensor x(Shape{1, 1, 4, 4});
  x.fill(1.0f);
  Tensor y = run_forward(*layer, x, true);
  Tensor dy(y.shape()), dx(x.shape());
  dy.fill(1.0f);
  layer->backward(x, y, dy, &dx);
  const std::vector<float> expected = {1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < dx.numel(); ++i) CHECK(dx[i] == expected[static_cast<size_t>(i)]);

  // Overlapping windows accumulate; -inf padding never wins even over very negative values.
  std::unique_ptr<Layer> padded = make_layer(pool({3, 3}, {1, 1}, {1, 1}), nullptr);
  Tensor neg(Shape{1, 1, 2, 2});
  neg.fill(-1e30f);
  neg[3] = -1e29f;
  Tensor out = run_forward(*padded, neg, true);
  for (int64_t i = 0; i < out.numel(); ++i) CHECK(out[i] == -1e29f);
  Tensor dout(out.shape()), dneg(neg.shape());
  dout.fill(1.0f);
  padded->backward(neg, out, dout, &dneg);
  CHECK(dneg[3] == 4.0f);
  CHECK(dneg[0] == 0.0f);
}

TEST_CASE("MaxPool2d 2x2 stride 2 follows PyTorch's rule for NaN, -inf and ties") {
  // The 2x2 windows have their own kernel: a NaN wins over everything and over an earlier NaN
  // (PyTorch's `val > max || isnan(val)`), an all -inf window keeps its first element, ties go
  // to the first maximum.
  std::unique_ptr<Layer> layer = make_layer(pool({2, 2}), nullptr);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x(Shape{1, 1, 2, 8});
  const std::vector<float> values = {1,   nan, -inf, -inf, 2, 5, 3, 3,   // row 0
                                     nan, 0,   -inf, -inf, 5, 1, 3, 4};  // row 1
  for (size_t i = 0; i < values.size(); ++i) x[static_cast<int64_t>(i)] = values[i];
  Tensor y = run_forward(*layer, x, true);
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == -inf);
  CHECK(y[2] == 5.0f);
  CHECK(y[3] == 4.0f);
  Tensor dy(y.shape()), dx(x.shape());
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(i + 1);
  layer->backward(x, y, dy, &dx);
  const std::vector<float> expected = {0, 0, 2, 0, 0, 3, 0, 0,  // row 0
                                       1, 0, 0, 0, 0, 0, 0, 4};
  for (int64_t i = 0; i < dx.numel(); ++i) CHECK(dx[i] == expected[static_cast<size_t>(i)]);
}

TEST_CASE("MaxPool2d 2x2 stride 2 gives the scalar rule's bits at every row width") {
  // Its kernel takes 8 or 4 windows at a time and moves a row's last block back over windows
  // already done: every width from 1 to 17 windows, odd heights and widths (a row or column in
  // no window), values drawn from a few with ties, NaN, -inf and both zeros.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float pool_values[] = {1.0f, 2.0f, -0.0f, 0.0f, nan, -inf, 2.0f, -1.0f};
  const auto same_bits = [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  std::unique_ptr<Layer> layer = make_layer(pool({2, 2}), nullptr);
  Rng rng(11, RngStream::shuffle);
  for (int64_t w = 2; w <= 35; ++w) {
    const int64_t h = w % 3 == 0 ? 5 : 4, oh = h / 2, ow = w / 2;
    INFO("input " << h << " x " << w);
    Tensor x(Shape{2, 3, h, w});
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = pool_values[rng.below(8)];
    Tensor y = run_forward(*layer, x, true);
    Tensor dy(y.shape()), dx(x.shape()), expected_dx(x.shape());
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = i % 5 == 0 ? -0.0f : static_cast<float>(i);
    layer->backward(x, y, dy, &dx);
    expected_dx.zero();
    for (int64_t p = 0; p < 6; ++p) {
      for (int64_t yy = 0; yy < oh; ++yy) {
        for (int64_t xx = 0; xx < ow; ++xx) {
          int64_t arg = (p * h + 2 * yy) * w + 2 * xx;
          for (int64_t tap : {arg + 1, arg + w, arg + w + 1}) {
            if (x[tap] > x[arg] || std::isnan(x[tap])) arg = tap;
          }
          const int64_t o = (p * oh + yy) * ow + xx;
          CHECK(same_bits(y[o], x[arg]));
          expected_dx[arg] += dy[o];
        }
      }
    }
    for (int64_t i = 0; i < dx.numel(); ++i) CHECK(same_bits(dx[i], expected_dx[i]));
  }
}

TEST_CASE("Flatten merges start_dim..end_dim and passes values and gradients through") {
  const Tensor x = test_tensor(Shape{2, 3, 4, 5}, 9);
  std::unique_ptr<Layer> flat = make_layer(kind_config(LayerKind::flatten), nullptr);
  CHECK(flat->output_shape(x.shape()) == Shape{2, 60});
  const Tensor y = run_forward(*flat, x, true);
  for (int64_t i = 0; i < x.numel(); ++i) CHECK(y[i] == x[i]);
  Tensor dx(x.shape());
  flat->backward(x, y, y, &dx);
  for (int64_t i = 0; i < x.numel(); ++i) CHECK(dx[i] == x[i]);

  LayerConfig c(LayerKind::flatten);
  auto &o = c.as<FlattenConfig>();
  o.start_dim = 2;
  CHECK(make_layer(c, nullptr)->output_shape(x.shape()) == Shape{2, 3, 20});
  o.start_dim = 1;
  o.end_dim = -2;
  CHECK(make_layer(c, nullptr)->output_shape(x.shape()) == Shape{2, 12, 5});
  o.start_dim = -3;
  o.end_dim = 1;
  CHECK(make_layer(c, nullptr)->output_shape(x.shape()) == Shape{2, 3, 4, 5});
  o.start_dim = 0;  // would merge the batch
  o.end_dim = -1;
  CHECK_THROWS_AS(make_layer(c, nullptr)->output_shape(x.shape()), Error);
  o.start_dim = 3;
  o.end_dim = 2;
  CHECK_THROWS_AS(make_layer(c, nullptr)->output_shape(x.shape()), Error);
  o.start_dim = 7;
  CHECK_THROWS_AS(make_layer(c, nullptr), Error);
}

TEST_CASE("a CNN builds in Graph with PyTorch names and checks channel counts") {
  Rng rng(2, RngStream::init);
  Graph net;
  // Conv2d accepts any height and width, so it cannot fix the network's input shape.
  const std::string unset = error_of([&] { net.add(make_layer(conv(1, 4, {3, 3}), &rng)); });
  CHECK(unset.find("Conv2d") != std::string::npos);
  CHECK(net.size() == 0);

  net.set_sample_input_shape(Shape{1, 8, 8});
  net.add(make_layer(conv(1, 4, {3, 3}, {1, 1}, {1, 1}), &rng));
  net.add(make_layer(kind_config(LayerKind::relu), &rng));
  net.add(make_layer(pool({2, 2}), &rng));
  net.add(make_layer(conv(4, 6, {3, 3}, {2, 2}, {1, 1}), &rng));
  CHECK(net.sample_output_shape() == Shape{6, 2, 2});
  try {
    net.add(make_layer(conv(5, 2, {1, 1}), &rng));
    FAIL("Conv2d(5, ...) accepted 6 channels");
  } catch (const Error &e) {
    CHECK(e.status() == NNSTATE_ERR_SHAPE_MISMATCH);
    const std::string m = e.what();
    CHECK(m.find("[6, 2, 2]") != std::string::npos);
    CHECK(m.find("[N, 5, H, W]") != std::string::npos);
  }
  net.add(make_layer(kind_config(LayerKind::flatten), &rng));
  CHECK(net.sample_output_shape() == Shape{24});
  LayerConfig wrong(LayerKind::linear);
  auto &o = wrong.as<LinearConfig>();
  o.in_features = 25;
  o.out_features = 3;
  const std::string linear = error_of([&] { net.add(make_layer(wrong, &rng)); });
  CHECK(linear.find("[25]") != std::string::npos);
  CHECK(linear.find("[24]") != std::string::npos);
  o.in_features = 24;
  net.add(make_layer(wrong, &rng));
  CHECK(net.sample_output_shape() == Shape{3});

  TensorCollector state;
  net.visit_state(state);
  CHECK(state.names ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "5.weight", "5.bias"});
  CHECK(state.values[2]->shape() == Shape{6, 4, 3, 3});
}

TEST_CASE("a convolutional network backpropagates through Graph") {
  Rng rng(8, RngStream::init);
  Graph net;
  net.set_sample_input_shape(Shape{2, 5, 4});
  net.add(make_layer(conv(2, 3, {3, 2}, {2, 1}, {1, 1}), &rng));
  net.add(make_layer(kind_config(LayerKind::tanh), &rng));
  net.add(make_layer(kind_config(LayerKind::flatten), &rng));
  LayerConfig l(LayerKind::linear);
  auto &o = l.as<LinearConfig>();
  o.in_features = net.sample_output_size();
  o.out_features = 2;
  net.add(make_layer(l, &rng));
  Tensor x = test_tensor(Shape{3, 2, 5, 4}, 5);
  const Tensor w = test_tensor(Shape{3, 2}, 6);
  RunContext context;
  context.training = true;
  auto objective = [&] { return weighted_sum(net.forward(x.data(), 3, context), w); };
  objective();
  Tensor &grad = net.output_grad();
  for (int64_t i = 0; i < grad.numel(); ++i) grad[i] = w[i];
  net.backward();
  TensorCollector state;
  net.visit_state(state);
  std::vector<Tensor> analytic;
  for (Tensor *g : state.grads) analytic.push_back(*g);
  for (size_t p = 0; p < state.values.size(); ++p) {
    check_against_finite_differences(*state.values[p], analytic[p], objective,
                                     state.names[p].c_str());
  }
}

TEST_CASE("a small CNN learns through Model") {
  // Class 0: a bright 2x2 blob in the left half of a 6x6 image; class 1: in the right half.
  const int n = 32;
  std::vector<float> x(n * 36, 0.0f), y(n);
  Rng data(4, RngStream::shuffle);
  for (int s = 0; s < n; ++s) {
    y[s] = static_cast<float>(s % 2);
    const int row = static_cast<int>(data.below(5)),
              col = static_cast<int>(data.below(2)) + (s % 2 ? 3 : 0);
    for (int i = 0; i < 36; ++i) x[s * 36 + i] = 0.1f * data.uniform();
    for (int dy = 0; dy < 2; ++dy) {
      for (int dx = 0; dx < 2; ++dx) x[s * 36 + (row + dy) * 6 + col + dx] = 1.0f;
    }
  }
  Model model(6);
  model.network().set_sample_input_shape(Shape{1, 6, 6});
  model.add_layer(conv(1, 4, {3, 3}, {1, 1}, {1, 1}));
  model.add_layer(kind_config(LayerKind::relu));
  model.add_layer(pool({2, 2}));
  model.add_layer(kind_config(LayerKind::flatten));
  LayerConfig l(LayerKind::linear);
  auto &o = l.as<LinearConfig>();
  o.in_features = 36;
  o.out_features = 2;
  model.add_layer(l);
  model.set_loss(LossKind::cross_entropy);
  OptimizerConfig adam = default_optimizer_config(OptimizerKind::adam);
  adam.lr = 0.02;
  model.set_optimizer(adam);
  const float first = model.train_step(x.data(), n * 36, y.data(), n, n);
  float last = first;
  for (int step = 0; step < 60; ++step) last = model.train_step(x.data(), n * 36, y.data(), n, n);
  int64_t correct = 0;
  model.evaluate(x.data(), n * 36, y.data(), n, n, &correct);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.5f * first);
  CHECK(correct == n);
}
