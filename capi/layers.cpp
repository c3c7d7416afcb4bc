// C API: the convolutional and stateful layers (Conv2d, MaxPool2d, Flatten, BatchNorm,
// Dropout, LayerNorm), the sample input shape they need, and the train/eval mode of inference.
#include <string>

#include "guard.h"
#include "handles.h"
#include "layers/layer_config.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

// A shape of `rank` dims from C (sample input shape, normalized_shape): at most 3 dims, since
// the batch dimension takes the fourth of a tensor's 4.
nnstate::Shape shape_from_c(const int64_t *dims, int32_t rank, const char *name) {
  require_arg(dims, name);
  if (rank < 1 || rank >= nnstate::Shape::kMaxRank) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(name) + ": rank must be 1 to " +
                                                    std::to_string(nnstate::Shape::kMaxRank - 1) +
                                                    ", got " + std::to_string(rank));
  }
  nnstate::Shape shape;
  shape.rank = rank;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] <= 0) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(name) + "[" + std::to_string(i) +
                                                      "] is " + std::to_string(dims[i]) +
                                                      ", dims must be positive");
    }
    shape.dims[i] = dims[i];
  }
  shape.numel();  // refuses a product that overflows
  return shape;
}

// Adds a layer and forgets the cached tensor names (they change with the layers).
void append(nnstate_network *network, const nnstate::LayerConfig &config) {
  network->model.add_layer(config);
  network->tensor_names.clear();
}

}  // namespace

extern "C" {

nnstate_status nnstate_network_set_input_shape(nnstate_network *network, const int64_t *dims,
                                               int32_t rank) {
  return guard([&] {
    require_arg(network, "network");
    network->model.network().set_sample_input_shape(shape_from_c(dims, rank, "dims"));
  });
}

nnstate_status nnstate_conv2d_options_init(nnstate_conv2d_options *options, int64_t in_channels,
                                           int64_t out_channels, int64_t kernel_size) {
  return guard([&] {
    require_arg(options, "options");
    *options = nnstate_conv2d_options{};
    options->struct_size = sizeof *options;
    options->in_channels = in_channels;
    options->out_channels = out_channels;
    options->kernel_h = options->kernel_w = kernel_size;
    options->stride_h = options->stride_w = 1;
    options->dilation_h = options->dilation_w = 1;
    options->groups = 1;
    options->bias = 1;
  });
}

nnstate_status nnstate_network_add_conv2d(nnstate_network *network,
                                          const nnstate_conv2d_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(options, "options");
    nnstate::capi::check_struct_size(options, "nnstate_conv2d_options");
    nnstate::LayerConfig config(nnstate::LayerKind::conv2d);
    auto &o = config.as<nnstate::Conv2dConfig>();
    o.in_channels = options->in_channels;
    o.out_channels = options->out_channels;
    o.kernel_size = {options->kernel_h, options->kernel_w};
    o.stride = {options->stride_h, options->stride_w};
    o.padding = {options->padding_h, options->padding_w};
    o.dilation = {options->dilation_h, options->dilation_w};
    o.groups = options->groups;
    o.bias = options->bias != 0;
    append(network, config);
  });
}

nnstate_status nnstate_network_add_max_pool2d(nnstate_network *network, int64_t kernel_h,
                                              int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                              int64_t padding_h, int64_t padding_w) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::LayerConfig config(nnstate::LayerKind::max_pool2d);
    auto &o = config.as<nnstate::MaxPool2dConfig>();
    o.kernel_size = {kernel_h, kernel_w};
    // 0 stands for the kernel size per dimension, so (0, 1) works too; the core only maps
    // (0, 0). Negative strides reach the core and are refused there.
    o.stride = {stride_h == 0 ? kernel_h : stride_h, stride_w == 0 ? kernel_w : stride_w};
    o.padding = {padding_h, padding_w};
    append(network, config);
  });
}

nnstate_status nnstate_network_add_flatten(nnstate_network *network) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::LayerConfig config(nnstate::LayerKind::flatten);
    auto &o = config.as<nnstate::FlattenConfig>();
    o.start_dim = 1;
    o.end_dim = -1;
    append(network, config);
  });
}

nnstate_status nnstate_network_add_batch_norm(nnstate_network *network, int32_t dims,
                                              int64_t num_features, double eps, double momentum,
                                              int32_t affine, int32_t track_running_stats) {
  return guard([&] {
    require_arg(network, "network");
    if (dims != 1 && dims != 2) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    "batch norm dims must be 1 (BatchNorm1d) or 2 (BatchNorm2d), got " +
                        std::to_string(dims));
    }
    nnstate::LayerConfig config(dims == 1 ? nnstate::LayerKind::batch_norm1d
                                          : nnstate::LayerKind::batch_norm2d);
    auto &o = config.as<nnstate::BatchNormConfig>();
    o.num_features = num_features;
    o.eps = eps;
    o.momentum = momentum;
    o.affine = affine != 0;
    o.track_running_stats = track_running_stats != 0;
    append(network, config);
  });
}

nnstate_status nnstate_network_add_dropout(nnstate_network *network, double p) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::LayerConfig config(nnstate::LayerKind::dropout);
    auto &o = config.as<nnstate::DropoutConfig>();
    o.p = p;
    append(network, config);
  });
}

nnstate_status nnstate_network_add_layer_norm(nnstate_network *network,
                                              const int64_t *normalized_shape, int32_t rank,
                                              double eps, int32_t elementwise_affine) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::LayerConfig config(nnstate::LayerKind::layer_norm);
    auto &o = config.as<nnstate::LayerNormConfig>();
    o.normalized_shape = shape_from_c(normalized_shape, rank, "normalized_shape");
    o.eps = eps;
    o.affine = elementwise_affine != 0;
    append(network, config);
  });
}

nnstate_status nnstate_network_set_training_mode(nnstate_network *network, int32_t training) {
  return guard([&] {
    require_arg(network, "network");
    network->model.set_inference_training(training != 0);
  });
}

nnstate_status nnstate_network_get_training_mode(const nnstate_network *network, int32_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = network->model.inference_training() ? 1 : 0;
  });
}

}  // extern "C"
