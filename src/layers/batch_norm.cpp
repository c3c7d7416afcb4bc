#include "layers/batch_norm.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "layers/layer_config.h"
#include "layers/layer_memory.h"
#include "layers/reduce.h"
#include "parallel/batch_split.h"
#include "util/error.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

// The [N, C, spatial] loops, cloned per vector width (same bits in each: see vector_clones.h).
// Each covers planes [begin, end) of the tensor (plane p is sample p / C, channel p % C), so
// that the layer's threads can share them; a sum over planes is added up afterwards in plane
// order, the same order at any thread count.

// sums[2p] = sum (x - shift[c]), sums[2p + 1] = sum (x - shift[c])^2 over plane p.
NNSTATE_VECTOR_CLONES void plane_moments(const float *x, int64_t begin, int64_t end,
                                         int64_t channels, int64_t spatial, const float *shift,
                                         double *sums) {
  for (int64_t p = begin; p < end; ++p) {
    shifted_moments(x + p * spatial, spatial, shift[p % channels], sums[2 * p], sums[2 * p + 1]);
  }
}

// y = (x - mean[c]) a[c] + d[c].
NNSTATE_VECTOR_CLONES void normalize_planes(const float *x, float *y, int64_t begin, int64_t end,
                                            int64_t channels, int64_t spatial, const float *mean,
                                            const float *a, const float *d) {
  for (int64_t p = begin; p < end; ++p) {
    const int64_t c = p % channels, base = p * spatial;
    const float mc = mean[c], ac = a[c], dc = d[c];
    for (int64_t k = 0; k < spatial; ++k) y[base + k] = (x[base + k] - mc) * ac + dc;
  }
}

// sums[2p] = sum dy, sums[2p + 1] = sum dy (x - mean[c]) over plane p.
NNSTATE_VECTOR_CLONES void plane_gradient_moments(const float *dy, const float *x, int64_t begin,
                                                  int64_t end, int64_t channels, int64_t spatial,
                                                  const float *mean, double *sums) {
  for (int64_t p = begin; p < end; ++p) {
    const int64_t base = p * spatial;
    gradient_moments(dy + base, x + base, mean[p % channels], spatial, sums[2 * p],
                     sums[2 * p + 1]);
  }
}

// dx = a[c] dy + b[c] (x - mean[c]) + d[c].
NNSTATE_VECTOR_CLONES void input_gradient_planes(const float *x, const float *dy, float *dx,
                                                 int64_t begin, int64_t end, int64_t channels,
                                                 int64_t spatial, const float *mean, const float *a,
                                                 const float *b, const float *d) {
  for (int64_t p = begin; p < end; ++p) {
    const int64_t c = p % channels, base = p * spatial;
    const float mc = mean[c], ac = a[c], bc = b[c], dc = d[c];
    for (int64_t k = 0; k < spatial; ++k) {
      dx[base + k] = ac * dy[base + k] + bc * (x[base + k] - mc) + dc;
    }
  }
}

// sum[c] += sums[2p], sum2[c] += sums[2p + 1] for every plane p, in plane order.
void add_plane_sums(const std::vector<double> &sums, int64_t planes, int64_t channels, double *sum,
                    double *sum2) {
  for (int64_t p = 0; p < planes; ++p) {
    sum[p % channels] += sums[static_cast<size_t>(2 * p)];
    sum2[p % channels] += sums[static_cast<size_t>(2 * p + 1)];
  }
}

}  // namespace

BatchNorm::BatchNorm(LayerKind kind, const BatchNormConfig &c) : kind_(kind), config_(c) {
  std::string problem;
  if (kind != LayerKind::batch_norm1d && kind != LayerKind::batch_norm2d) {
    problem = "kind must be batch_norm1d or batch_norm2d";
  } else if (c.num_features <= 0 || c.num_features > INT_MAX) {
    problem = "num_features must be in [1, 2^31 - 1]";
  } else if (!(c.eps >= 0.0) || !std::isfinite(c.eps)) {
    problem = "eps must be finite and not negative";
  } else if (!std::isfinite(c.momentum)) {
    problem = "momentum must be finite";
  }
  if (!problem.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": " + problem);
  const Shape channels{c.num_features};
  // Per channel: weight, bias and their gradients, the running statistics, five float and two
  // double work arrays.
  const size_t per_channel =
      sizeof(float) * ((c.affine ? 4 : 0) + (c.track_running_stats ? 2 : 0) + 5) +
      2 * sizeof(double);
  check_layer_memory(describe(), {channels}, per_channel);
  tensors(config_).allocate(*this);
  if (c.affine) weight_.fill(1.0f);
  if (c.track_running_stats) running_var_.fill(1.0f);
  const size_t n = static_cast<size_t>(c.num_features);
  for (std::vector<float> *v : {&mean_, &invstd_, &a_, &b_, &d_}) v->assign(n, 0.0f);
  sum_.assign(n, 0.0);
  sum2_.assign(n, 0.0);
}

LayerConfig BatchNorm::config() const {
  return LayerConfig(kind_, config_);
}

std::string BatchNorm::describe() const {
  return std::string(layer_kind_name(kind_)) + "(" + std::to_string(config_.num_features) + ")";
}

Shape BatchNorm::output_shape(const Shape &input) const {
  const bool one_d = kind_ == LayerKind::batch_norm1d;
  const bool rank_ok = one_d ? input.rank == 2 || input.rank == 3 : input.rank == 4;
  if (!rank_ok || input[1] != config_.num_features) {
    const std::string c = std::to_string(config_.num_features);
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + " expects input " +
             (one_d ? "[N, " + c + "] or [N, " + c + ", L]" : "[N, " + c + ", H, W]") + ", got " +
             input.to_string());
  }
  return input;
}

void BatchNorm::forward(const Tensor &input, Tensor &output, const RunContext &context) {
  const int64_t n = input.shape()[0], channels = config_.num_features;
  const int64_t spatial = n == 0 ? 0 : input.numel() / (n * channels);
  const int64_t count = n * spatial;  // values per channel
  if (count == 0) return;
  const float *x = input.data();
  float *y = output.data();
  used_batch_stats_ = context.training || !config_.track_running_stats;
  if (used_batch_stats_ && global_mean_) {
    for (int64_t c = 0; c < channels; ++c) {
      mean_[c] = static_cast<float>(global_mean_[c]);
      invstd_[c] = static_cast<float>(1.0 / std::sqrt(global_var_[c] + config_.eps));
    }
    global_mean_ = global_var_ = nullptr;
  } else if (used_batch_stats_) {
    if (context.training && count <= 1) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH, describe() +
                                           ": expected more than 1 value per channel when "
                                           "training, got input " +
                                           input.shape().to_string());
    }
    // One pass in double, shifted by the first value of each channel so that a large mean
    // does not cancel the variance away.
    for (int64_t c = 0; c < channels; ++c) {
      mean_[c] = x[c * spatial];
      sum_[c] = sum2_[c] = 0.0;
    }
    if (spatial == 1) {
      // [N, C]: vectorise across channels.
      for (int64_t i = 0; i < n; ++i) {
        const float *row = x + i * channels;
        for (int64_t c = 0; c < channels; ++c) {
          const double d = static_cast<double>(row[c]) - mean_[c];
          sum_[c] += d;
          sum2_[c] += d * d;
        }
      }
    } else {
      const int64_t planes = n * channels;
      plane_sums_.resize(static_cast<size_t>(2 * planes));
      for_each_range(planes, min_items_for(spatial), [&](int64_t begin, int64_t end) {
        plane_moments(x, begin, end, channels, spatial, mean_.data(), plane_sums_.data());
      });
      add_plane_sums(plane_sums_, planes, channels, sum_.data(), sum2_.data());
    }
    const bool update = context.training && config_.track_running_stats;
    const double m = config_.momentum;
    for (int64_t c = 0; c < channels; ++c) {
      const double shifted_mean = sum_[c] / count;
      const double var = std::max(0.0, sum2_[c] / count - shifted_mean * shifted_mean);
      const double mean = mean_[c] + shifted_mean;
      mean_[c] = static_cast<float>(mean);
      invstd_[c] = static_cast<float>(1.0 / std::sqrt(var + config_.eps));
      if (update) {
        const double unbiased = var * count / (count - 1);
        running_mean_[c] = static_cast<float>((1.0 - m) * running_mean_[c] + m * mean);
        running_var_[c] = static_cast<float>((1.0 - m) * running_var_[c] + m * unbiased);
      }
    }
    if (update) num_batches_tracked_[0] += 1.0f;
  } else {
    for (int64_t c = 0; c < channels; ++c) {
      mean_[c] = running_mean_[c];
      invstd_[c] =
          static_cast<float>(1.0 / std::sqrt(static_cast<double>(running_var_[c]) + config_.eps));
    }
  }
  for (int64_t c = 0; c < channels; ++c) {
    a_[c] = config_.affine ? weight_[c] * invstd_[c] : invstd_[c];
    d_[c] = config_.affine ? bias_[c] : 0.0f;
  }
  const float *mean = mean_.data(), *a = a_.data(), *d = d_.data();
  if (spatial == 1) {
    for (int64_t i = 0; i < n; ++i) {
      const float *xr = x + i * channels;
      float *yr = y + i * channels;
      for (int64_t c = 0; c < channels; ++c) yr[c] = (xr[c] - mean[c]) * a[c] + d[c];
    }
    return;
  }
  for_each_range(n * channels, min_items_for(spatial), [&](int64_t begin, int64_t end) {
    normalize_planes(x, y, begin, end, channels, spatial, mean, a, d);
  });
}

void BatchNorm::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                         Tensor *grad_input) {
  const int64_t n = input.shape()[0], channels = config_.num_features;
  const int64_t spatial = n == 0 ? 0 : input.numel() / (n * channels);
  const int64_t count = n * spatial;
  if (count == 0) return;
  const float *x = input.data();
  const float *dy = grad_output.data();
  const float *mean = mean_.data();
  if (!global_sum_) grad_moments(x, dy, n, spatial);  // else chunk_grad_moments made them
  // The input gradient takes the global batch's moments in chunked training.
  const double *sum_all = global_sum_ ? global_sum_ : sum_.data();
  const double *dot_all = global_sum_ ? global_dot_ : sum2_.data();
  const int64_t total = global_sum_ ? global_count_ : count;
  global_sum_ = global_dot_ = nullptr;
  if (config_.affine) {
    for (int64_t c = 0; c < channels; ++c) {
      weight_grad_[c] = static_cast<float>(sum2_[c] * invstd_[c]);
      bias_grad_[c] = static_cast<float>(sum_[c]);
    }
  }
  if (!grad_input) return;
  // With batch statistics the mean and variance depend on x:
  // dx = w invstd (dy - mean(dy) - xhat mean(dy xhat)); with running ones only a dy remains.
  for (int64_t c = 0; c < channels; ++c) {
    const double a = (config_.affine ? weight_[c] : 1.0f) * static_cast<double>(invstd_[c]);
    double b = 0.0, d = 0.0;
    if (used_batch_stats_) {
      b = -a * invstd_[c] * invstd_[c] * dot_all[c] / total;
      d = -a * sum_all[c] / total;
    }
    a_[c] = static_cast<float>(a);
    b_[c] = static_cast<float>(b);
    d_[c] = static_cast<float>(d);
  }
  const float *a = a_.data(), *b = b_.data(), *d = d_.data();
  float *dx = grad_input->data();
  if (spatial == 1) {
    for (int64_t i = 0; i < n; ++i) {
      const float *xr = x + i * channels, *dyr = dy + i * channels;
      float *dxr = dx + i * channels;
      for (int64_t c = 0; c < channels; ++c) {
        dxr[c] = a[c] * dyr[c] + b[c] * (xr[c] - mean[c]) + d[c];
      }
    }
    return;
  }
  for_each_range(n * channels, min_items_for(spatial), [&](int64_t begin, int64_t end) {
    input_gradient_planes(x, dy, dx, begin, end, channels, spatial, mean, a, b, d);
  });
}

// sum_ = sum dy, sum2_ = sum dy (x - mean), per channel.
void BatchNorm::grad_moments(const float *x, const float *dy, int64_t n, int64_t spatial) {
  const int64_t channels = config_.num_features;
  const float *mean = mean_.data();
  for (int64_t c = 0; c < channels; ++c) sum_[c] = sum2_[c] = 0.0;
  if (spatial == 1) {
    for (int64_t i = 0; i < n; ++i) {
      const float *xr = x + i * channels, *dyr = dy + i * channels;
      for (int64_t c = 0; c < channels; ++c) {
        sum_[c] += dyr[c];
        sum2_[c] += static_cast<double>(dyr[c]) * (xr[c] - mean[c]);
      }
    }
  } else {
    const int64_t planes = n * channels;
    plane_sums_.resize(static_cast<size_t>(2 * planes));
    for_each_range(planes, min_items_for(spatial), [&](int64_t begin, int64_t end) {
      plane_gradient_moments(dy, x, begin, end, channels, spatial, mean, plane_sums_.data());
    });
    add_plane_sums(plane_sums_, planes, channels, sum_.data(), sum2_.data());
  }
}

void BatchNorm::chunk_moments(const Tensor &input, double *mean, double *m2) const {
  const int64_t n = input.shape()[0], channels = config_.num_features;
  const int64_t spatial = n == 0 ? 0 : input.numel() / (n * channels);
  const int64_t count = n * spatial;
  const float *x = input.data();
  for (int64_t c = 0; c < channels; ++c) {
    // Shifted by the chunk's first value, as forward() does, then centred on the chunk's mean.
    const double shift = count ? x[c * spatial] : 0.0;
    double s = 0.0, s2 = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double ps, ps2;
      shifted_moments(x + (i * channels + c) * spatial, spatial, shift, ps, ps2);
      s += ps;
      s2 += ps2;
    }
    const double shifted_mean = count ? s / count : 0.0;
    mean[c] = shift + shifted_mean;
    m2[c] = std::max(0.0, s2 - s * shifted_mean);
  }
}

void BatchNorm::set_batch_moments(const double *mean, const double *var) {
  global_mean_ = mean;
  global_var_ = var;
}

void BatchNorm::update_running_stats(const double *mean, const double *var, int64_t count) {
  if (!config_.track_running_stats || count <= 1) return;
  const double m = config_.momentum;
  for (int64_t c = 0; c < config_.num_features; ++c) {
    const double unbiased = var[c] * count / (count - 1);
    running_mean_[c] = static_cast<float>((1.0 - m) * running_mean_[c] + m * mean[c]);
    running_var_[c] = static_cast<float>((1.0 - m) * running_var_[c] + m * unbiased);
  }
  num_batches_tracked_[0] += 1.0f;
}

void BatchNorm::chunk_grad_moments(const Tensor &input, const Tensor &grad_output, double *sum,
                                   double *dot) {
  const int64_t n = input.shape()[0], channels = config_.num_features;
  const int64_t spatial = n == 0 ? 0 : input.numel() / (n * channels);
  grad_moments(input.data(), grad_output.data(), n, spatial);
  std::copy(sum_.begin(), sum_.end(), sum);
  std::copy(sum2_.begin(), sum2_.end(), dot);
}

void BatchNorm::set_batch_grad_moments(const double *sum, const double *dot, int64_t count) {
  global_sum_ = sum;
  global_dot_ = dot;
  global_count_ = count;
}

StateTensors<BatchNorm> BatchNorm::tensors(const BatchNormConfig &c) {
  StateTensors<BatchNorm> t;
  const Shape channels{c.num_features};
  if (c.affine) {
    t.add("weight", channels, &BatchNorm::weight_, &BatchNorm::weight_grad_);
    t.add("bias", channels, &BatchNorm::bias_, &BatchNorm::bias_grad_);
  }
  if (c.track_running_stats) {
    t.add("running_mean", channels, &BatchNorm::running_mean_, nullptr);
    t.add("running_var", channels, &BatchNorm::running_var_, nullptr);
    t.add("num_batches_tracked", Shape{}, &BatchNorm::num_batches_tracked_, nullptr);
  }
  return t;
}

void BatchNorm::visit_tensors(const std::string &prefix, StateVisitor &visitor) {
  tensors(config_).visit(*this, prefix, visitor);
}

void BatchNorm::declare(const BatchNormConfig &config, const std::string &prefix,
                        StateVisitor &visitor) {
  tensors(config).declare(prefix, visitor);
}

}  // namespace nnstate
