// Builds a layer from its configuration (through the registry, layers/registry.h), used
// by the C API and by checkpoint loading to rebuild a network with no code.
#pragma once

#include <memory>

#include "layers/layer_config.h"

namespace nnstate {

// Initialises parameters from `init_rng` (PyTorch's defaults), or to zero when it is null.
// Throws Error on an invalid configuration.
std::unique_ptr<Layer> make_layer(const LayerConfig &config, Rng *init_rng);

}  // namespace nnstate
