// Checks an untrusted architecture before anything sized from it is allocated: the tensors
// each layer implies, and that the layers chain (each takes the previous one's output).
// Linear and Conv2d, the large layers, are represented by shape-only stand-ins; the other kinds
// are built once their sizes are bounded by the data section. The chain is checked by a real
// Sequential, so its rules are the ones a load will apply. A unit test checks the stand-ins'
// tensors and shapes against the real layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace nnstate::checkpoint {

struct ExpectedTensor {
  std::string name;  // "3.weight"
  TensorRole role;
  Shape shape;
};

// The tensors of layer `index`. Throws Error(CORRUPT) naming `where` for configurations the
// library cannot build or whose tensors could not fit in `data_length` bytes.
std::vector<ExpectedTensor> expected_tensors(const LayerConfig &config, size_t index,
                                             const std::string &where, uint64_t data_length);

// Throws Error(CORRUPT) naming `where` when the layers do not chain from `sample_input`
// (rank 0: fixed by the first layer that requires a shape), as Sequential::add would refuse.
void check_chain(const std::vector<LayerConfig> &layers, const Shape &sample_input,
                 const std::string &where, uint64_t data_length);

}  // namespace nnstate::checkpoint
