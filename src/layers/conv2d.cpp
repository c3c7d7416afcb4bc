#include "layers/conv2d.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "layers/layer_config.h"
#include "layers/layer_memory.h"
#include "layers/reduce.h"
#include "random/rng.h"
#include "util/error.h"

namespace nnstate {
namespace {

std::string pair_string(const Size2 &s) {
  return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")";
}

void require(bool ok, const std::string &what, const std::string &message) {
  if (!ok) fail(NNSTATE_ERR_INVALID_ARGUMENT, what + ": " + message);
}

}  // namespace

Conv2d::Conv2d(const Conv2dConfig &c, Rng *init_rng) : config_(c) {
  const std::string what = describe();
  // Every size fits in int32 so that products below stay far from int64 overflow.
  const auto in_range = [](int64_t v, int64_t low) { return v >= low && v <= INT_MAX; };
  require(in_range(c.in_channels, 1) && in_range(c.out_channels, 1), what,
          "channel counts must be in [1, 2^31 - 1]");
  require(in_range(c.groups, 1) && c.in_channels % c.groups == 0 && c.out_channels % c.groups == 0,
          what, "groups must be positive and divide both channel counts");
  require(in_range(c.kernel_size.h, 1) && in_range(c.kernel_size.w, 1), what,
          "kernel_size must be positive");
  require(in_range(c.stride.h, 1) && in_range(c.stride.w, 1), what, "stride must be positive");
  require(in_range(c.padding.h, 0) && in_range(c.padding.w, 0), what,
          "padding must not be negative");
  require(in_range(c.dilation.h, 1) && in_range(c.dilation.w, 1), what,
          "dilation must be positive");
  require(!c.padding_same || c.stride == Size2{1, 1}, what,
          "padding='same' is not supported for strided convolutions (stride " +
              c.stride.to_string() + ")");
  require(!c.padding_same || c.padding == Size2{0, 0}, what,
          "padding='same' takes no explicit padding (got " + c.padding.to_string() + ")");
  const Shape weight_shape{c.out_channels, c.in_channels / c.groups, c.kernel_size.h,
                           c.kernel_size.w};
  const int64_t fan_in = Shape{c.in_channels / c.groups, c.kernel_size.h, c.kernel_size.w}.numel();
  require(fan_in <= INT_MAX, what, "in_channels / groups * kh * kw exceeds 2^31 - 1");
  check_layer_memory(what, {weight_shape, Shape{c.bias ? c.out_channels : 0}},
                     2 * sizeof(float));  // values and gradients
  tensors(config_).allocate(*this);
  if (c.bias) {
    bias_sums_.assign(static_cast<size_t>(c.out_channels), 0.0);
  }
  if (init_rng) {
    // kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)); PyTorch uses
    // the same bound for the bias.
    const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
    for (int64_t i = 0; i < weight_.numel(); ++i) weight_[i] = init_rng->uniform(-bound, bound);
    for (int64_t i = 0; i < bias_.numel(); ++i) bias_[i] = init_rng->uniform(-bound, bound);
  }
}

LayerConfig Conv2d::config() const {
  return LayerConfig(LayerKind::conv2d, config_);
}

std::string Conv2d::describe() const {
  const Conv2dConfig &c = config_;
  std::string s = "Conv2d(" + std::to_string(c.in_channels) + ", " +
                  std::to_string(c.out_channels) + ", kernel_size=" + pair_string(c.kernel_size) +
                  ", stride=" + pair_string(c.stride) +
                  ", padding=" + (c.padding_same ? "'same'" : pair_string(c.padding));
  if (c.dilation != Size2{1, 1}) s += ", dilation=" + pair_string(c.dilation);
  if (c.groups != 1) s += ", groups=" + std::to_string(c.groups);
  if (!c.bias) s += ", bias=False";
  return s + ")";
}

WindowGeometry Conv2d::geometry(const Shape &input) const {
  WindowGeometry g = window_geometry(input, config_.kernel_size, config_.stride, config_.padding,
                                     config_.dilation);
  if (config_.padding_same) {
    // PyTorch's 'same': total padding dilation (k - 1) per dim, the smaller half before. With
    // the larger half after, the output keeps the input's extent; im2col treats every read
    // past the input's end as zero, so the right side needs no explicit padding.
    g.ph = g.dh * (g.kh - 1) / 2;
    g.pw = g.dw * (g.kw - 1) / 2;
    g.oh = g.h;
    g.ow = g.w;
  }
  return g;
}

Shape Conv2d::output_shape(const Shape &input) const {
  if (input.rank != 4 || input[1] != config_.in_channels) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, describe() + " expects input [N, " +
                                         std::to_string(config_.in_channels) + ", H, W], got " +
                                         input.to_string());
  }
  const WindowGeometry g = geometry(input);
  if (g.oh <= 0 || g.ow <= 0) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, describe() + ": input " + input.to_string() +
                                         " is smaller than the dilated kernel after padding");
  }
  return Shape{g.n, config_.out_channels, g.oh, g.ow};
}

int64_t Conv2d::chunk_samples(const WindowGeometry &g) const {
  int64_t per_sample = 0;  // saturates: a huge sample simply gets chunks of one
  if (__builtin_mul_overflow(g.col_rows(), g.oh, &per_sample) ||
      __builtin_mul_overflow(per_sample, g.ow, &per_sample)) {
    per_sample = INT64_MAX;
  }
  return std::max<int64_t>(1, std::min(g.n, column_budget_ / std::max<int64_t>(per_sample, 1)));
}

void Conv2d::lower_chunk(const WindowGeometry &g, const float *input, int64_t start,
                         int64_t count) {
  if (col_holds_input_ && cached_start_ == start && cached_count_ == count) return;
  WindowGeometry chunk = g;
  chunk.n = count;
  im2col(chunk, input + start * g.c * g.h * g.w, col_.data());
  col_holds_input_ = true;
  cached_start_ = start;
  cached_count_ = count;
}

void Conv2d::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const WindowGeometry g = geometry(input.shape());
  const int64_t rows = g.col_rows(), plane = g.oh * g.ow, out_c = config_.out_channels;
  const int64_t chunk = chunk_samples(g);
  if (chunk * plane > INT_MAX) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": output height * width = " +
                                           std::to_string(plane) + " exceeds 2^31 - 1 (BLAS)");
  }
  col_.resize(Shape{rows, chunk * plane});
  product_.resize(Shape{out_c, chunk * plane});
  col_holds_input_ = false;
  const int64_t group_out = out_c / config_.groups, group_rows = rows / config_.groups;
  for (int64_t start = 0; start < g.n; start += chunk) {
    const int64_t count = std::min(chunk, g.n - start), cols = count * plane;
    lower_chunk(g, input.data(), start, count);
    for (int64_t grp = 0; grp < config_.groups; ++grp) {
      // product[group_out, cols] = W_grp[group_out, group_rows] * col_grp[group_rows, cols]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(group_out),
                  static_cast<int>(cols), static_cast<int>(group_rows), 1.0f,
                  weight_.data() + grp * group_out * group_rows, static_cast<int>(group_rows),
                  col_.data() + grp * group_rows * cols, static_cast<int>(cols), 0.0f,
                  product_.data() + grp * group_out * cols, static_cast<int>(cols));
    }
    // [out_c, count, plane] -> [count, out_c, plane], adding the bias on the way.
    for (int64_t n = 0; n < count; ++n) {
      for (int64_t oc = 0; oc < out_c; ++oc) {
        const float *src = product_.data() + oc * cols + n * plane;
        float *dst = output.data() + ((start + n) * out_c + oc) * plane;
        const float b = config_.bias ? bias_[oc] : 0.0f;
        for (int64_t i = 0; i < plane; ++i) dst[i] = src[i] + b;
      }
    }
  }
}

void Conv2d::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                      Tensor *grad_input) {
  const WindowGeometry g = geometry(input.shape());
  const int64_t rows = g.col_rows(), plane = g.oh * g.ow, out_c = config_.out_channels;
  const int64_t chunk = chunk_samples(g);
  col_.resize(Shape{rows, chunk * plane});
  product_.resize(Shape{out_c, chunk * plane});
  const int64_t group_out = out_c / config_.groups, group_rows = rows / config_.groups;
  std::fill(bias_sums_.begin(), bias_sums_.end(), 0.0);
  // Last chunk first: forward left its columns in col_.
  const int64_t chunks = (g.n + chunk - 1) / chunk;
  for (int64_t k = chunks; k-- > 0;) {
    const int64_t start = k * chunk, count = std::min(chunk, g.n - start), cols = count * plane;
    lower_chunk(g, input.data(), start, count);
    for (int64_t n = 0; n < count; ++n) {
      for (int64_t oc = 0; oc < out_c; ++oc) {
        const float *src = grad_output.data() + ((start + n) * out_c + oc) * plane;
        std::copy(src, src + plane, product_.data() + oc * cols + n * plane);
      }
    }
    if (config_.bias) {
      for (int64_t oc = 0; oc < out_c; ++oc) {
        bias_sums_[oc] += sum_of(product_.data() + oc * cols, cols);
      }
    }
    const float beta = k == chunks - 1 ? 0.0f : 1.0f;
    for (int64_t grp = 0; grp < config_.groups; ++grp) {
      // dW_grp[group_out, group_rows] += dY_grp[group_out, cols] * col_grp^T[cols, group_rows]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(group_out),
                  static_cast<int>(group_rows), static_cast<int>(cols), 1.0f,
                  product_.data() + grp * group_out * cols, static_cast<int>(cols),
                  col_.data() + grp * group_rows * cols, static_cast<int>(cols), beta,
                  weight_grad_.data() + grp * group_out * group_rows, static_cast<int>(group_rows));
    }
    if (!grad_input) continue;
    for (int64_t grp = 0; grp < config_.groups; ++grp) {
      // dcol_grp[group_rows, cols] = W_grp^T[group_rows, group_out] * dY_grp[group_out, cols],
      // written over the columns, which this chunk no longer needs.
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(group_rows),
                  static_cast<int>(cols), static_cast<int>(group_out), 1.0f,
                  weight_.data() + grp * group_out * group_rows, static_cast<int>(group_rows),
                  product_.data() + grp * group_out * cols, static_cast<int>(cols), 0.0f,
                  col_.data() + grp * group_rows * cols, static_cast<int>(cols));
    }
    col_holds_input_ = false;
    WindowGeometry sub = g;
    sub.n = count;
    col2im(sub, col_.data(), grad_input->data() + start * g.c * g.h * g.w);
  }
  if (config_.bias) {
    for (int64_t oc = 0; oc < out_c; ++oc) bias_grad_[oc] = static_cast<float>(bias_sums_[oc]);
  }
}

StateTensors<Conv2d> Conv2d::tensors(const Conv2dConfig &c) {
  StateTensors<Conv2d> t;
  t.add("weight", Shape{c.out_channels, c.in_channels / c.groups, c.kernel_size.h, c.kernel_size.w},
        &Conv2d::weight_, &Conv2d::weight_grad_);
  if (c.bias) t.add("bias", Shape{c.out_channels}, &Conv2d::bias_, &Conv2d::bias_grad_);
  return t;
}

void Conv2d::visit_tensors(const std::string &prefix, StateVisitor &visitor) {
  tensors(config_).visit(*this, prefix, visitor);
}

void Conv2d::declare(const Conv2dConfig &config, const std::string &prefix, StateVisitor &visitor) {
  tensors(config).declare(prefix, visitor);
}

}  // namespace nnstate
