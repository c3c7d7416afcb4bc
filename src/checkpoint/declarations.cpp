#include "checkpoint/declarations.h"

#include <climits>
#include <cmath>

#include "layers/factory.h"
#include "layers/im2col.h"
#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

[[noreturn]] void refuse(LayerKind kind, const std::string &why) {
  fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(layer_kind_name(kind)) + " " + why);
}

void require_count(LayerKind c, const char *field, int64_t value, int64_t low) {
  if (value < low || value > INT_MAX) {
    refuse(c, std::string(field) + " " + std::to_string(value) + " is outside [" +
                  std::to_string(low) + ", 2^31 - 1]");
  }
}

void require_pair(LayerKind c, const char *field, const Size2 &value, int64_t low) {
  if (value.h < low || value.h > INT_MAX || value.w < low || value.w > INT_MAX) {
    refuse(c, std::string(field) + " " + value.to_string() + " is outside [" + std::to_string(low) +
                  ", 2^31 - 1]");
  }
}

void require_finite_eps(LayerKind kind, double eps) {
  if (!(eps >= 0.0) || !std::isfinite(eps)) {
    refuse(kind, "eps " + std::to_string(eps) + " must be finite and not negative");
  }
}

[[noreturn]] void mismatch(LayerKind kind, const std::string &expects, const Shape &input) {
  fail(NNSTATE_ERR_SHAPE_MISMATCH, std::string(layer_kind_name(kind)) + " expects input " +
                                       expects + ", got " + input.to_string());
}

void check_conv2d(const Conv2dConfig &c) {
  const LayerKind kind = LayerKind::conv2d;
  require_count(kind, "in_channels", c.in_channels, 1);
  require_count(kind, "out_channels", c.out_channels, 1);
  require_count(kind, "groups", c.groups, 1);
  if (c.in_channels % c.groups != 0 || c.out_channels % c.groups != 0) {
    refuse(kind, "groups " + std::to_string(c.groups) + " does not divide the channels " +
                     std::to_string(c.in_channels) + " -> " + std::to_string(c.out_channels));
  }
  require_pair(kind, "kernel_size", c.kernel_size, 1);
  require_pair(kind, "stride", c.stride, 1);
  require_pair(kind, "padding", c.padding, 0);
  require_pair(kind, "dilation", c.dilation, 1);
  if (c.padding_same && (c.stride != Size2{1, 1} || c.padding != Size2{0, 0})) {
    refuse(kind, "padding='same' needs stride (1, 1) and no explicit padding");
  }
  // Each factor is below 2^31, so the products below cannot overflow 64 bits.
  const int64_t fan_in = c.in_channels / c.groups * c.kernel_size.h;
  if (fan_in > INT_MAX || fan_in * c.kernel_size.w > INT_MAX) {
    refuse(kind, "kernel_size " + c.kernel_size.to_string() + " with " +
                     std::to_string(c.in_channels / c.groups) +
                     " input channels per group: fan_in exceeds 2^31 - 1");
  }
}

Size2 pool_stride(const MaxPool2dConfig &c) {
  return c.stride.h == 0 && c.stride.w == 0 ? c.kernel_size : c.stride;
}

void check_max_pool2d(const MaxPool2dConfig &c) {
  const LayerKind kind = LayerKind::max_pool2d;
  require_pair(kind, "kernel_size", c.kernel_size, 1);
  const Size2 stride = pool_stride(c);
  if (stride.h < 1 || stride.h > INT_MAX || stride.w < 1 || stride.w > INT_MAX) {
    refuse(kind, "stride " + c.stride.to_string() + " must be positive (or both 0)");
  }
  require_pair(kind, "dilation", c.dilation, 1);
  if (c.padding.h < 0 || c.padding.w < 0 || c.padding.h > c.kernel_size.h / 2 ||
      c.padding.w > c.kernel_size.w / 2) {
    refuse(kind, "padding " + c.padding.to_string() + " is outside [0, kernel_size / 2]");
  }
}

void check_batch_norm(LayerKind kind, const BatchNormConfig &c) {
  require_count(kind, "num_features", c.num_features, 1);
  require_finite_eps(kind, c.eps);
  if (!std::isfinite(c.momentum)) refuse(kind, "momentum must be finite");
}

void check_layer_norm(const LayerNormConfig &c) {
  const LayerKind kind = LayerKind::layer_norm;
  const Shape &s = c.normalized_shape;
  if (s.rank < 1 || s.rank >= Shape::kMaxRank) {
    refuse(kind, "normalized_shape " + s.to_string() + " must have 1 to 3 dims");
  }
  require_finite_eps(kind, c.eps);
  int64_t numel = 1;
  for (int d = 0; d < s.rank; ++d) {
    if (s[d] <= 0) refuse(kind, "normalized_shape " + s.to_string() + " has a dim below 1");
    if (__builtin_mul_overflow(numel, s[d], &numel) || numel > INT_MAX) {
      refuse(kind, "normalized_shape " + s.to_string() + " has more than 2^31 - 1 elements");
    }
  }
}

// A 2-d window (Conv2d, MaxPool2d) over [N, C, H, W]: the output height and width.
template <class Window>
Size2 window_output(LayerKind kind, const Window &c, const Size2 &stride, const Shape &input) {
  if (input.rank != 4) mismatch(kind, "[N, C, H, W]", input);
  const Size2 out{output_extent(input[2], c.kernel_size.h, stride.h, c.padding.h, c.dilation.h),
                  output_extent(input[3], c.kernel_size.w, stride.w, c.padding.w, c.dilation.w)};
  if (out.h <= 0 || out.w <= 0) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, std::string(layer_kind_name(kind)) + ": input " +
                                         input.to_string() +
                                         " is smaller than the dilated kernel after padding");
  }
  return out;
}

Shape flatten_output(const FlattenConfig &c, const Shape &input) {
  const int32_t start = c.start_dim < 0 ? c.start_dim + input.rank : c.start_dim;
  const int32_t end = c.end_dim < 0 ? c.end_dim + input.rank : c.end_dim;
  if (start < 1 || end < start || end >= input.rank) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "Flatten(start_dim=" + std::to_string(c.start_dim) +
                                         ", end_dim=" + std::to_string(c.end_dim) +
                                         ") needs 1 <= start_dim <= end_dim < rank on input " +
                                         input.to_string());
  }
  Shape out;
  for (int32_t d = 0; d < input.rank; ++d) {
    if (d <= start || d > end) {
      out.dims[out.rank++] = input[d];
    } else {
      out.dims[out.rank - 1] *= input[d];  // bounded by the input's element count
    }
  }
  return out;
}

void check_embedding(const EmbeddingConfig &c) {
  const LayerKind kind = LayerKind::embedding;
  require_count(kind, "num_embeddings", c.num_embeddings, 1);
  require_count(kind, "embedding_dim", c.embedding_dim, 1);
  if (c.has_padding_idx && (c.padding_idx < 0 || c.padding_idx >= c.num_embeddings)) {
    refuse(kind, "padding_idx " + std::to_string(c.padding_idx) + " is outside [0, " +
                     std::to_string(c.num_embeddings) + ")");
  }
}

// Kinds that hold no tensors and allocate nothing when built (their spec says so): their rules
// are those of the built layer itself, so they are written once. Throws Error(INVALID_ARGUMENT)
// for a number that is no kind.
bool declared_by_probe(LayerKind kind) {
  return layer_kind_entry(kind).spec->declared_by_building;
}

std::unique_ptr<Layer> probe(const LayerConfig &c) {
  return make_layer(c, nullptr);
}

}  // namespace

void check_layer_config(const LayerConfig &c) {
  const LayerKind kind = c.kind();
  if (declared_by_probe(kind)) {
    probe(c);  // the constructor's checks
    return;
  }
  switch (kind) {
    case LayerKind::linear: {
      const auto &o = c.as<LinearConfig>();
      require_count(kind, "in_features", o.in_features, 1);
      require_count(kind, "out_features", o.out_features, 1);
      return;
    }
    case LayerKind::leaky_relu:
      if (!std::isfinite(c.as<LeakyReLUConfig>().negative_slope)) {
        refuse(kind, "negative_slope must be finite");
      }
      return;
    case LayerKind::relu:
    case LayerKind::tanh:
    case LayerKind::sigmoid:
    case LayerKind::gelu:
      return;
    case LayerKind::conv2d:
      return check_conv2d(c.as<Conv2dConfig>());
    case LayerKind::max_pool2d:
      return check_max_pool2d(c.as<MaxPool2dConfig>());
    case LayerKind::flatten: {
      const auto &o = c.as<FlattenConfig>();
      const auto valid = [](int32_t d) { return d >= -Shape::kMaxRank && d < Shape::kMaxRank; };
      if (!valid(o.start_dim) || !valid(o.end_dim)) {
        refuse(kind, "start_dim " + std::to_string(o.start_dim) + ", end_dim " +
                         std::to_string(o.end_dim) + " must be in [-4, 3]");
      }
      return;
    }
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d:
      return check_batch_norm(kind, c.as<BatchNormConfig>());
    case LayerKind::dropout: {
      const double p = c.as<DropoutConfig>().p;
      if (!(p >= 0.0 && p < 1.0)) refuse(kind, "p " + std::to_string(p) + " is not in [0, 1)");
      return;
    }
    case LayerKind::layer_norm:
      return check_layer_norm(c.as<LayerNormConfig>());
    case LayerKind::add:
    case LayerKind::multiply:
    case LayerKind::concat:  // any dim: checked against the input shapes
      return;
    case LayerKind::embedding:
      return check_embedding(c.as<EmbeddingConfig>());
    default:  // declared by probe, above
      return;
  }
}

std::vector<ExpectedTensor> declared_tensors(const LayerConfig &c, const std::string &prefix) {
  // The kind's own list, through the state visitor: no second list of tensors here.
  struct Collect final : StateVisitor {
    std::vector<ExpectedTensor> out;
    void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *) override {
      out.push_back({name, role, value.shape()});
    }
  } collect;
  layer_kind_entry(c.kind()).spec->declare_tensors(c, prefix, collect);
  return std::move(collect.out);
}

Shape declared_required_sample_shape(const LayerConfig &c) {
  if (declared_by_probe(c.kind())) return probe(c)->required_sample_shape();
  return c.kind() == LayerKind::linear ? Shape{c.as<LinearConfig>().in_features} : Shape{};
}

bool declared_preserves_shape(const LayerConfig &c) {
  if (declared_by_probe(c.kind())) return probe(c)->preserves_shape();
  switch (c.kind()) {
    case LayerKind::relu:
    case LayerKind::leaky_relu:
    case LayerKind::tanh:
    case LayerKind::sigmoid:
    case LayerKind::gelu:
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d:
    case LayerKind::dropout:
    case LayerKind::layer_norm:
      return true;
    default:
      return false;
  }
}

Shape declared_output_shape(const LayerConfig &c, const Shape &input) {
  const LayerKind kind = c.kind();
  if (declared_by_probe(kind)) return probe(c)->output_shape(input);
  switch (kind) {
    case LayerKind::linear: {
      const auto &o = c.as<LinearConfig>();
      if (input.rank != 2 || input[1] != o.in_features) {
        mismatch(kind, "[N, " + std::to_string(o.in_features) + "]", input);
      }
      return Shape{input[0], o.out_features};
    }
    case LayerKind::conv2d: {
      const auto &o = c.as<Conv2dConfig>();
      if (input.rank != 4 || input[1] != o.in_channels) {
        mismatch(kind, "[N, " + std::to_string(o.in_channels) + ", H, W]", input);
      }
      // 'same' (stride 1) pads so that the output keeps the input's height and width.
      const Size2 out =
          o.padding_same ? Size2{input[2], input[3]} : window_output(kind, o, o.stride, input);
      return Shape{input[0], o.out_channels, out.h, out.w};
    }
    case LayerKind::max_pool2d: {
      const auto &o = c.as<MaxPool2dConfig>();
      const Size2 out = window_output(kind, o, pool_stride(o), input);
      if (input[2] * input[3] > INT_MAX) {
        fail(NNSTATE_ERR_SHAPE_MISMATCH,
             "MaxPool2d: input planes of " + input.to_string() + " exceed 2^31 - 1 elements");
      }
      return Shape{input[0], input[1], out.h, out.w};
    }
    case LayerKind::flatten:
      return flatten_output(c.as<FlattenConfig>(), input);
    case LayerKind::embedding: {
      if (input.rank < 1 || input.rank >= Shape::kMaxRank) {
        mismatch(kind, "indices [N] to [N, d1, d2]", input);
      }
      Shape out = input;
      out.dims[out.rank++] = c.as<EmbeddingConfig>().embedding_dim;
      return out;
    }
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d: {
      const int64_t features = c.as<BatchNormConfig>().num_features;
      const bool one_d = kind == LayerKind::batch_norm1d;
      const bool rank_ok = one_d ? input.rank == 2 || input.rank == 3 : input.rank == 4;
      if (!rank_ok || input[1] != features) {
        const std::string n = std::to_string(features);
        mismatch(kind, one_d ? "[N, " + n + "] or [N, " + n + ", L]" : "[N, " + n + ", H, W]",
                 input);
      }
      return input;
    }
    case LayerKind::layer_norm: {
      const Shape &s = c.as<LayerNormConfig>().normalized_shape;
      const int lead = input.rank - s.rank;
      bool ok = lead >= 1;
      for (int d = 0; ok && d < s.rank; ++d) ok = input[lead + d] == s[d];
      if (!ok) mismatch(kind, "[N, ..., " + s.to_string().substr(1), input);
      return input;
    }
    default:
      return input;
  }
}

uint64_t declared_workspace_bytes(const LayerConfig &c) {
  switch (c.kind()) {
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d:
      // Five float and two double vectors per channel (batch statistics and sums).
      return static_cast<uint64_t>(c.as<BatchNormConfig>().num_features) *
             (5 * sizeof(float) + 2 * sizeof(double));
    default:
      // Linear, Conv2d and LayerNorm allocate at most a few times the tensors the file holds.
      return 0;
  }
}

}  // namespace nnstate::checkpoint
