#include "layers/factory.h"

#include <cmath>

#include "layers/activations.h"
#include "layers/linear.h"
#include "util/error.h"

namespace nnstate {

bool LayerConfig::operator==(const LayerConfig &o) const {
  return kind == o.kind && in_features == o.in_features && out_features == o.out_features &&
         bias == o.bias && negative_slope == o.negative_slope && gelu_tanh == o.gelu_tanh;
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
  }
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "unknown layer kind " + std::to_string(static_cast<int32_t>(config.kind)));
}

}  // namespace nnstate
