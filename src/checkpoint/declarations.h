// What each layer kind declares without being built: the configurations its constructor
// accepts, the tensors it holds (names and shapes), the output shape for an input shape, and
// the memory it would allocate besides those tensors. Pure arithmetic over the configuration:
// nothing is allocated from its numbers, so an untrusted file can be checked before anything
// is built. The tensors come from the kind's own list (its spec's declare, the list its
// visit_tensors reports); the configuration and shape rules mirror the layers' constructors and
// output_shape, and a unit test compares the two over many configurations and shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer_config.h"

namespace nnstate::checkpoint {

struct ExpectedTensor {
  std::string name;  // "3.weight"
  TensorRole role;
  Shape shape;
};

// Throws Error(INVALID_ARGUMENT) naming the field (e.g. "kernel_size (0, 3)") when the layer
// could not be built from `c`. Sizes are bounded by 2^31 - 1, as the layers require.
void check_layer_config(const LayerConfig &c);

// The tensors of a layer with a valid configuration, named `prefix` + "weight" and so on: what
// the built layer's visit_tensors would report, from the same list.
std::vector<ExpectedTensor> declared_tensors(const LayerConfig &c, const std::string &prefix);

// Layer::required_sample_shape and Layer::preserves_shape of the built layer.
Shape declared_required_sample_shape(const LayerConfig &c);
bool declared_preserves_shape(const LayerConfig &c);

// Layer::output_shape of the built layer for a batched input whose element count fits in
// 62 bits: the same result, or Error(SHAPE_MISMATCH) where the layer throws.
Shape declared_output_shape(const LayerConfig &c, const Shape &input);

// Bytes the built layer allocates besides its tensors and their gradients (per-feature
// workspaces that exist even when the file stores no tensor of that size).
uint64_t declared_workspace_bytes(const LayerConfig &c);

}  // namespace nnstate::checkpoint
