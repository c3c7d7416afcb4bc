#include "checkpoint/architecture.h"

#include <limits>

#include "layers/factory.h"
#include "layers/sequential.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

[[noreturn]] void refuse(const std::string &where, const LayerConfig &c, const std::string &why) {
  fail(NNSTATE_ERR_CORRUPT, where + ": " + layer_kind_name(c.kind) + " " + why);
}

void require_range(const std::string &where, const LayerConfig &c, const char *name,
                   int64_t value) {
  if (value <= 0 || value > kMaxDim) {
    refuse(where, c, std::string(name) + " " + std::to_string(value) + " is outside [1, 2^31 - 1]");
  }
}

// Builds the layer (zero-initialised) and lists what its visitor reports.
std::vector<ExpectedTensor> from_layer(const LayerConfig &config, const std::string &prefix,
                                       const std::string &where) {
  std::unique_ptr<Layer> layer;
  try {
    layer = make_layer(config, nullptr);
  } catch (const Error &e) {
    if (e.status() == NNSTATE_ERR_OUT_OF_MEMORY) throw;
    refuse(where, config, std::string("cannot be built: ") + e.what());
  }
  struct Walk : StateVisitor {
    std::vector<ExpectedTensor> out;
    void tensor(const std::string &name, TensorRole role, Tensor &v, Tensor *) override {
      out.push_back({name, role, v.shape()});
    }
  } walk;
  layer->visit_tensors(prefix, walk);
  return std::move(walk.out);
}

// Linear's shapes without its weights.
class LinearShape final : public Layer {
 public:
  explicit LinearShape(const LayerConfig &config) : config_(config) {}
  LayerConfig config() const override { return config_; }
  Shape output_shape(const Shape &input) const override {
    if (input.rank != 2 || input[1] != config_.in_features) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH, "Linear expects input [N, " +
                                           std::to_string(config_.in_features) + "], got " +
                                           input.to_string());
    }
    return Shape{input[0], config_.out_features};
  }
  Shape required_sample_shape() const override { return Shape{config_.in_features}; }
  void forward(const Tensor &, Tensor &, const RunContext &) override {}
  void backward(const Tensor &, const Tensor &, const Tensor &, Tensor *) override {}

 private:
  LayerConfig config_;
};

// Conv2d's shapes from a real Conv2d with one channel per group (tiny weights): the spatial
// arithmetic is the layer's own.
class Conv2dShape final : public Layer {
 public:
  Conv2dShape(const LayerConfig &config, std::unique_ptr<Layer> proxy)
      : config_(config), proxy_(std::move(proxy)) {}
  LayerConfig config() const override { return config_; }
  Shape output_shape(const Shape &input) const override {
    if (input.rank != 4 || input[1] != config_.in_channels) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH, "Conv2d expects input [N, " +
                                           std::to_string(config_.in_channels) + ", H, W], got " +
                                           input.to_string());
    }
    Shape reduced = input;
    reduced.dims[1] = config_.groups;
    Shape out = proxy_->output_shape(reduced);
    out.dims[1] = config_.out_channels;
    return out;
  }
  void forward(const Tensor &, Tensor &, const RunContext &) override {}
  void backward(const Tensor &, const Tensor &, const Tensor &, Tensor *) override {}

 private:
  LayerConfig config_;
  std::unique_ptr<Layer> proxy_;
};

std::unique_ptr<Layer> build(const LayerConfig &config, const std::string &where) {
  try {
    return make_layer(config, nullptr);
  } catch (const Error &e) {
    if (e.status() == NNSTATE_ERR_OUT_OF_MEMORY) throw;
    refuse(where, config, std::string("cannot be built: ") + e.what());
  }
}

// A layer with the configuration's shapes; only small layers are actually built.
std::unique_ptr<Layer> shape_layer(const LayerConfig &c, size_t index, const std::string &where,
                                   uint64_t data_length) {
  expected_tensors(c, index, where, data_length);  // validates the sizes first
  if (c.kind == LayerKind::linear) return std::make_unique<LinearShape>(c);
  if (c.kind == LayerKind::conv2d) {
    LayerConfig small = c;
    small.in_channels = c.groups;
    small.out_channels = c.groups;
    return std::make_unique<Conv2dShape>(c, build(small, where));
  }
  return build(c, where);
}

}  // namespace

void check_chain(const std::vector<LayerConfig> &layers, const Shape &sample_input,
                 const std::string &where, uint64_t data_length) {
  Sequential chain;
  try {
    if (sample_input.rank > 0) chain.set_sample_input_shape(sample_input);
    for (size_t i = 0; i < layers.size(); ++i) {
      chain.add(shape_layer(layers[i], i, where + ": layer " + std::to_string(i), data_length));
    }
  } catch (const Error &e) {
    if (e.status() == NNSTATE_ERR_CORRUPT || e.status() == NNSTATE_ERR_OUT_OF_MEMORY) throw;
    fail(NNSTATE_ERR_CORRUPT, where + ": the layers do not chain: " + e.what());
  }
}

std::vector<ExpectedTensor> expected_tensors(const LayerConfig &c, size_t index,
                                             const std::string &where, uint64_t data_length) {
  const std::string prefix = std::to_string(index) + ".";
  // Per-feature layers are built to ask them; their size is bounded first so that a hostile
  // file cannot make us allocate much more than it holds.
  const uint64_t max_features = std::max<uint64_t>(data_length / sizeof(float), 1u << 20);
  std::vector<ExpectedTensor> out;
  switch (c.kind) {
    case LayerKind::linear:
      require_range(where, c, "in_features", c.in_features);
      require_range(where, c, "out_features", c.out_features);
      out.push_back(
          {prefix + "weight", TensorRole::parameter, Shape{c.out_features, c.in_features}});
      if (c.bias) out.push_back({prefix + "bias", TensorRole::parameter, Shape{c.out_features}});
      return out;
    case LayerKind::conv2d:
      require_range(where, c, "in_channels", c.in_channels);
      require_range(where, c, "out_channels", c.out_channels);
      require_range(where, c, "groups", c.groups);
      require_range(where, c, "kernel height", c.kernel_size.h);
      require_range(where, c, "kernel width", c.kernel_size.w);
      if (c.in_channels % c.groups != 0 || c.out_channels % c.groups != 0) {
        refuse(where, c,
               "channels " + std::to_string(c.in_channels) + " -> " +
                   std::to_string(c.out_channels) + " are not divisible by groups " +
                   std::to_string(c.groups));
      }
      out.push_back(
          {prefix + "weight", TensorRole::parameter,
           Shape{c.out_channels, c.in_channels / c.groups, c.kernel_size.h, c.kernel_size.w}});
      if (c.bias) out.push_back({prefix + "bias", TensorRole::parameter, Shape{c.out_channels}});
      return out;
    case LayerKind::relu:
    case LayerKind::leaky_relu:
    case LayerKind::tanh:
    case LayerKind::sigmoid:
    case LayerKind::gelu:
    case LayerKind::max_pool2d:
    case LayerKind::flatten:
    case LayerKind::dropout:
      return from_layer(c, prefix, where);
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d:
      require_range(where, c, "num_features", c.num_features);
      if (static_cast<uint64_t>(c.num_features) > max_features) {
        refuse(where, c,
               "num_features " + std::to_string(c.num_features) +
                   " cannot fit in a data section of " + std::to_string(data_length) + " bytes");
      }
      return from_layer(c, prefix, where);
    case LayerKind::layer_norm: {
      int64_t numel = 1;
      for (int i = 0; i < c.normalized_shape.rank; ++i) {
        require_range(where, c, "normalized_shape dimension", c.normalized_shape.dims[i]);
        if (__builtin_mul_overflow(numel, c.normalized_shape.dims[i], &numel)) numel = kMaxDim + 1;
      }
      if (static_cast<uint64_t>(numel) > max_features) {
        refuse(where, c,
               "normalized_shape " + c.normalized_shape.to_string() +
                   " cannot fit in a data section of " + std::to_string(data_length) + " bytes");
      }
      return from_layer(c, prefix, where);
    }
  }
  fail(NNSTATE_ERR_CORRUPT,
       where + ": unknown layer kind " + std::to_string(static_cast<int32_t>(c.kind)));
}

}  // namespace nnstate::checkpoint
