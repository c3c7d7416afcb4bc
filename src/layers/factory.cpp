#include "layers/factory.h"

#include <cmath>

#include "layers/activations.h"
#include "layers/adaptive_avg_pool2d.h"
#include "layers/avg_pool2d.h"
#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/dropout.h"
#include "layers/dropout2d.h"
#include "layers/embedding.h"
#include "layers/flatten.h"
#include "layers/identity.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "layers/max_pool2d.h"
#include "layers/merge.h"
#include "layers/softmax.h"
#include "util/error.h"

namespace nnstate {

bool LayerConfig::operator==(const LayerConfig &o) const {
  return kind == o.kind && in_features == o.in_features && out_features == o.out_features &&
         bias == o.bias && negative_slope == o.negative_slope && gelu_tanh == o.gelu_tanh &&
         in_channels == o.in_channels && out_channels == o.out_channels &&
         kernel_size == o.kernel_size && stride == o.stride && padding == o.padding &&
         dilation == o.dilation && groups == o.groups && num_features == o.num_features &&
         eps == o.eps && momentum == o.momentum && affine == o.affine &&
         track_running_stats == o.track_running_stats && p == o.p &&
         normalized_shape == o.normalized_shape && start_dim == o.start_dim &&
         end_dim == o.end_dim && count_include_pad == o.count_include_pad &&
         output_size == o.output_size && dim == o.dim && num_embeddings == o.num_embeddings &&
         embedding_dim == o.embedding_dim && has_padding_idx == o.has_padding_idx &&
         padding_idx == o.padding_idx && padding_same == o.padding_same;
}

bool is_merge_kind(LayerKind kind) {
  return kind == LayerKind::add || kind == LayerKind::concat || kind == LayerKind::multiply;
}

const char *layer_kind_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::linear:
      return "Linear";
    case LayerKind::relu:
      return "ReLU";
    case LayerKind::leaky_relu:
      return "LeakyReLU";
    case LayerKind::tanh:
      return "Tanh";
    case LayerKind::sigmoid:
      return "Sigmoid";
    case LayerKind::gelu:
      return "GELU";
    case LayerKind::conv2d:
      return "Conv2d";
    case LayerKind::max_pool2d:
      return "MaxPool2d";
    case LayerKind::flatten:
      return "Flatten";
    case LayerKind::batch_norm1d:
      return "BatchNorm1d";
    case LayerKind::batch_norm2d:
      return "BatchNorm2d";
    case LayerKind::dropout:
      return "Dropout";
    case LayerKind::layer_norm:
      return "LayerNorm";
    case LayerKind::avg_pool2d:
      return "AvgPool2d";
    case LayerKind::adaptive_avg_pool2d:
      return "AdaptiveAvgPool2d";
    case LayerKind::identity:
      return "Identity";
    case LayerKind::softmax:
      return "Softmax";
    case LayerKind::log_softmax:
      return "LogSoftmax";
    case LayerKind::embedding:
      return "Embedding";
    case LayerKind::dropout2d:
      return "Dropout2d";
    case LayerKind::add:
      return "Add";
    case LayerKind::concat:
      return "Concat";
    case LayerKind::multiply:
      return "Multiply";
  }
  return "unknown";
}

std::unique_ptr<Layer> make_layer(const LayerConfig &config, Rng *init_rng) {
  switch (config.kind) {
    case LayerKind::linear:
      return std::make_unique<Linear>(config.in_features, config.out_features, config.bias,
                                      init_rng);
    case LayerKind::relu:
      return std::make_unique<ReLU>();
    case LayerKind::leaky_relu:
      if (!std::isfinite(config.negative_slope)) {
        fail(NNSTATE_ERR_INVALID_ARGUMENT, "LeakyReLU negative_slope must be finite");
      }
      return std::make_unique<LeakyReLU>(config.negative_slope);
    case LayerKind::tanh:
      return std::make_unique<Tanh>();
    case LayerKind::sigmoid:
      return std::make_unique<Sigmoid>();
    case LayerKind::gelu:
      return std::make_unique<GELU>(config.gelu_tanh);
    case LayerKind::conv2d:
      return std::make_unique<Conv2d>(config, init_rng);
    case LayerKind::max_pool2d:
      return std::make_unique<MaxPool2d>(config);
    case LayerKind::flatten:
      return std::make_unique<Flatten>(config);
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d:
      return std::make_unique<BatchNorm>(config);
    case LayerKind::dropout:
      return std::make_unique<Dropout>(config.p);
    case LayerKind::layer_norm:
      return std::make_unique<LayerNorm>(config);
    case LayerKind::avg_pool2d:
      return std::make_unique<AvgPool2d>(config);
    case LayerKind::adaptive_avg_pool2d:
      return std::make_unique<AdaptiveAvgPool2d>(config);
    case LayerKind::identity:
      return std::make_unique<Identity>();
    case LayerKind::softmax:
    case LayerKind::log_softmax:
      return std::make_unique<Softmax>(config.dim, config.kind == LayerKind::log_softmax);
    case LayerKind::embedding:
      return std::make_unique<Embedding>(config, init_rng);
    case LayerKind::dropout2d:
      return std::make_unique<Dropout2d>(config.p);
    case LayerKind::add:
      return std::make_unique<Add>();
    case LayerKind::concat:
      return std::make_unique<Concat>(config.dim);
    case LayerKind::multiply:
      return std::make_unique<Multiply>();
  }
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "unknown layer kind " + std::to_string(static_cast<int32_t>(config.kind)));
}

}  // namespace nnstate
