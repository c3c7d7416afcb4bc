#include "layers/conv2d.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "layers/conv_gemm.h"
#include "layers/layer_config.h"
#include "layers/layer_memory.h"
#include "random/rng.h"
#include "util/error.h"

namespace nnstate {
namespace {

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
                  std::to_string(c.out_channels) + ", kernel_size=" + c.kernel_size.to_string() +
                  ", stride=" + c.stride.to_string() +
                  ", padding=" + (c.padding_same ? "'same'" : c.padding.to_string());
  if (c.dilation != Size2{1, 1}) s += ", dilation=" + c.dilation.to_string();
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

Conv2d::Lowering Conv2d::lowering(const Shape &input) const {
  Lowering l;
  l.g = geometry(input);
  l.taps = active_taps(l.g);
  l.trimmed = trims_taps(l.g, l.taps);
  if (l.trimmed) l.g = trim_to_active_taps(l.g, l.taps);
  // Tap (i, j) of the one output reads input (i, j): the columns are the sample's values. The
  // sample's size c h w (an input tensor's, so no int64 overflow) is then a BLAS leading
  // dimension: at most 2^31 - 1 (larger samples take the lowered path, whose GEMMs take groups).
  const WindowGeometry &g = l.g;
  l.whole_input = g.oh == 1 && g.ow == 1 && g.kh == g.h && g.kw == g.w && g.ph == 0 && g.pw == 0 &&
                  (g.dh == 1 || g.kh == 1) && (g.dw == 1 || g.kw == 1) && g.col_rows() <= INT_MAX;
  return l;
}

// The kernel [out_c, in_c / groups, kh, kw] as rows of kh * kw taps, and the trimmed one as rows
// of the rectangle's taps: the same (row, tap) in both. Both run once per step over the whole
// kernel (on 1x1 planes a 3x3 kernel's centre taps alone): plain pointer loops, the single-tap
// case a strided copy (the index arithmetic of the nested loops cost as much as the GEMMs).
const float *Conv2d::gemm_weight(const Lowering &l) {
  if (!l.trimmed) return weight_.data();
  const Conv2dConfig &c = config_;
  const int64_t rows = c.out_channels * (c.in_channels / c.groups);
  const int64_t kw = c.kernel_size.w, taps = c.kernel_size.h * kw, th = l.g.kh, tw = l.g.kw;
  trimmed_weight_.resize(Shape{rows, th * tw});
  const float *first = weight_.data() + l.taps.i_lo * kw + l.taps.j_lo;  // row 0's first tap
  float *out = trimmed_weight_.data();
  if (th * tw == 1) {
    for (int64_t r = 0; r < rows; ++r) out[r] = first[r * taps];
    return out;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = first + r * taps;
    for (int64_t i = 0; i < th; ++i) {
      for (int64_t j = 0; j < tw; ++j) *out++ = row[i * kw + j];
    }
  }
  return trimmed_weight_.data();
}

void Conv2d::expand_trimmed_grad(const Lowering &l, const float *trimmed) {
  const Conv2dConfig &c = config_;
  const int64_t rows = c.out_channels * (c.in_channels / c.groups);
  const int64_t kw = c.kernel_size.w, taps = c.kernel_size.h * kw, th = l.g.kh, tw = l.g.kw;
  float *grad = weight_grad_.data();
  const int64_t first_tap = l.taps.i_lo * kw + l.taps.j_lo;
  // A block of rows at a time, zeroed and then filled while in L1: the whole gradient zeroed first
  // (590 KB for a 128 x 128 x 3 x 3 kernel) left the scatter to fetch its lines again.
  constexpr int64_t kBlockFloats = 4096;
  const int64_t block_rows = std::max<int64_t>(1, kBlockFloats / taps);
  for (int64_t r0 = 0; r0 < rows; r0 += block_rows) {
    const int64_t r1 = std::min(rows, r0 + block_rows);
    std::fill(grad + r0 * taps, grad + r1 * taps, 0.0f);
    if (th * tw == 1) {
      for (int64_t r = r0; r < r1; ++r) grad[r * taps + first_tap] = trimmed[r];
      continue;
    }
    for (int64_t r = r0; r < r1; ++r) {
      float *row = grad + r * taps + first_tap;
      for (int64_t i = 0; i < th; ++i) {
        for (int64_t j = 0; j < tw; ++j) row[i * kw + j] = *trimmed++;
      }
    }
  }
}

int64_t Conv2d::chunk_samples(const WindowGeometry &g) const {
  int64_t per_sample = 0;  // saturates: a huge sample simply gets chunks of one
  if (__builtin_mul_overflow(g.col_rows(), g.oh, &per_sample) ||
      __builtin_mul_overflow(per_sample, g.ow, &per_sample)) {
    per_sample = INT64_MAX;
  }
  return std::max<int64_t>(1, std::min(g.n, column_budget_ / std::max<int64_t>(per_sample, 1)));
}

BatchSplit Conv2d::prepare(const Lowering &l, bool backward, bool product) {
  const WindowGeometry &g = l.g;
  const int64_t rows = g.col_rows(), plane = g.oh * g.ow, out_c = config_.out_channels;
  const Shape slot_grad = l.trimmed ? Shape{out_c, rows / config_.groups} : weight_grad_.shape();
  // A whole-input lowering needs no columns: one chunk per slot.
  const int64_t chunk = l.whole_input ? g.n : chunk_samples(g);
  const BatchSplit split = split_batch(g.n, chunk, layer_threads());
  if (split.chunk * plane > INT_MAX) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": output height * width = " +
                                           std::to_string(plane) + " exceeds 2^31 - 1 (BLAS)");
  }
  if (slots_.size() < static_cast<size_t>(split.slots)) {
    slots_.resize(static_cast<size_t>(split.slots));
  }
  for (int64_t s = 0; s < split.slots; ++s) {
    Slot &slot = slots_[static_cast<size_t>(s)];
    if (!l.whole_input) slot.col.resize(Shape{rows, split.chunk * plane});
    if (product) slot.product.resize(Shape{out_c, split.chunk * plane});
    if (!backward) slot.col_holds_input = false;
    if (backward && (s > 0 || l.trimmed)) slot.weight_grad.resize(slot_grad);
    if (backward && config_.bias) slot.bias_sums.resize(static_cast<size_t>(out_c));
  }
  return split;
}

void Conv2d::lower_chunk(const WindowGeometry &g, const float *input, int64_t start, int64_t count,
                         Slot &slot) {
  if (slot.col_holds_input && slot.cached_start == start && slot.cached_count == count) return;
  WindowGeometry chunk = g;
  chunk.n = count;
  im2col(chunk, input + start * g.c * g.h * g.w, slot.col.data());
  slot.col_holds_input = true;
  slot.cached_start = start;
  slot.cached_count = count;
}

void Conv2d::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const Lowering l = lowering(input.shape());
  const float *weight = gemm_weight(l);
  const BatchSplit split = prepare(l, false, !l.whole_input && l.g.oh * l.g.ow < kInPlaceMinPlane);
  run_slots_of(split.slots, [&](int64_t s) {
    if (l.whole_input) {
      whole_input_forward_slot(l.g, split, s, weight, input.data(), output.data());
    } else {
      forward_slot(l.g, split, s, weight, input.data(), output.data());
    }
  });
}

ConvGemmShape Conv2d::gemm_shape(const WindowGeometry &g, int64_t count) const {
  ConvGemmShape shape;
  shape.groups = config_.groups;
  shape.group_out = config_.out_channels / config_.groups;
  shape.group_rows = g.col_rows() / config_.groups;
  shape.plane = g.oh * g.ow;
  shape.count = count;
  return shape;
}

void Conv2d::forward_slot(const WindowGeometry &g, const BatchSplit &split, int64_t s,
                          const float *weight, const float *input, float *output) {
  Slot &slot = slots_[static_cast<size_t>(s)];
  const float *bias = config_.bias ? bias_.data() : nullptr;
  const int64_t sample_size = config_.out_channels * g.oh * g.ow;
  for (int64_t k = split.first_chunk(s); k < split.first_chunk(s + 1); ++k) {
    const int64_t start = split.start(k);
    const ConvGemmShape shape = gemm_shape(g, split.count(k));
    lower_chunk(g, input, start, shape.count, slot);
    float *out = output + start * sample_size;
    if (shape.plane >= kInPlaceMinPlane) {
      conv_forward_in_place(shape, weight, slot.col.data(), bias, out);
    } else {
      conv_forward_through_product(shape, weight, slot.col.data(), bias, slot.product.data(), out);
    }
  }
}

void Conv2d::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                      Tensor *grad_input) {
  const Lowering l = lowering(input.shape());
  const float *weight = grad_input ? gemm_weight(l) : nullptr;  // for the input gradient only
  const BatchSplit split = prepare(
      l, true, !l.whole_input && (l.g.oh * l.g.ow < kInPlaceMinPlane || grad_input != nullptr));
  float *dx = grad_input ? grad_input->data() : nullptr;
  run_slots_of(split.slots, [&](int64_t s) {
    if (l.whole_input) {
      whole_input_backward_slot(l, split, s, weight, input.data(), grad_output.data(), dx);
    } else {
      backward_slot(l, split, s, weight, input.data(), grad_output.data(), dx);
    }
  });
  // The slots' partial sums, added in slot order: the same bits whichever thread ran a slot.
  Tensor &total = l.trimmed ? slots_[0].weight_grad : weight_grad_;
  for (int64_t s = 1; s < split.slots; ++s) {
    const float *part = slots_[static_cast<size_t>(s)].weight_grad.data();
    float *sum = total.data();
    for (int64_t i = 0; i < total.numel(); ++i) sum[i] += part[i];
  }
  if (l.trimmed) expand_trimmed_grad(l, total.data());
  if (config_.bias) {
    for (int64_t oc = 0; oc < config_.out_channels; ++oc) {
      double total = 0.0;
      for (int64_t s = 0; s < split.slots; ++s) {
        total += slots_[static_cast<size_t>(s)].bias_sums[static_cast<size_t>(oc)];
      }
      bias_grad_[oc] = static_cast<float>(total);
    }
  }
}

void Conv2d::backward_slot(const Lowering &l, const BatchSplit &split, int64_t s,
                           const float *weight, const float *input, const float *grad_output,
                           float *grad_input) {
  const WindowGeometry &g = l.g;
  Slot &slot = slots_[static_cast<size_t>(s)];
  float *weight_grad = s == 0 && !l.trimmed ? weight_grad_.data() : slot.weight_grad.data();
  std::fill(slot.bias_sums.begin(), slot.bias_sums.end(), 0.0);
  double *bias_sums = config_.bias ? slot.bias_sums.data() : nullptr;
  const int64_t sample_size = config_.out_channels * g.oh * g.ow;
  // Last chunk first: forward left its columns in the slot's col.
  const int64_t first = split.first_chunk(s), end = split.first_chunk(s + 1);
  for (int64_t k = end; k-- > first;) {
    const int64_t start = split.start(k);
    const ConvGemmShape shape = gemm_shape(g, split.count(k));
    lower_chunk(g, input, start, shape.count, slot);
    const float *dy = grad_output + start * sample_size;
    const bool accumulate = k != end - 1, in_place = shape.plane >= kInPlaceMinPlane;
    if (in_place) {
      conv_weight_grad_in_place(shape, dy, slot.col.data(), accumulate, weight_grad, bias_sums);
    }
    if (!grad_input && in_place) continue;
    // The column gradient is one GEMM over the chunk: per sample, OpenBLAS repacks W each time.
    gather_product(shape, dy, slot.product.data());
    if (!in_place) {
      conv_weight_grad_from_product(shape, slot.product.data(), slot.col.data(), accumulate,
                                    weight_grad, bias_sums);
    }
    if (!grad_input) continue;
    conv_column_grad_from_product(shape, weight, slot.product.data(), slot.col.data());
    slot.col_holds_input = false;
    WindowGeometry sub = g;
    sub.n = shape.count;
    col2im(sub, slot.col.data(), grad_input + start * g.c * g.h * g.w);
  }
}

void Conv2d::whole_input_forward_slot(const WindowGeometry &g, const BatchSplit &split, int64_t s,
                                      const float *weight, const float *input, float *output) {
  const int64_t start = split.first_sample(s), end = split.first_sample(s + 1);
  const float *bias = config_.bias ? bias_.data() : nullptr;
  whole_input_forward(gemm_shape(g, end - start), weight, input + start * g.col_rows(), bias,
                      output + start * config_.out_channels);
}

void Conv2d::whole_input_backward_slot(const Lowering &l, const BatchSplit &split, int64_t s,
                                       const float *weight, const float *input,
                                       const float *grad_output, float *grad_input) {
  const WindowGeometry &g = l.g;
  Slot &slot = slots_[static_cast<size_t>(s)];
  const int64_t start = split.first_sample(s), end = split.first_sample(s + 1);
  const ConvGemmShape shape = gemm_shape(g, end - start);
  const float *x = input + start * g.col_rows();
  const float *dy = grad_output + start * config_.out_channels;
  float *weight_grad = s == 0 && !l.trimmed ? weight_grad_.data() : slot.weight_grad.data();
  std::fill(slot.bias_sums.begin(), slot.bias_sums.end(), 0.0);
  double *bias_sums = config_.bias ? slot.bias_sums.data() : nullptr;
  whole_input_weight_grad(shape, dy, x, weight_grad, bias_sums);
  if (grad_input) whole_input_input_grad(shape, weight, dy, grad_input + start * g.col_rows());
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
