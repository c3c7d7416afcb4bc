// Checks an untrusted architecture before anything sized from it is allocated or built: each
// layer's configuration and the tensors it declares (checkpoint/declarations.h), the memory
// building it would take, and that the nodes form a graph that Graph::add accepts (names,
// inputs, shapes). Arithmetic only, one pass: linear in the number of nodes and inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint/declarations.h"
#include "layers/graph.h"
#include "layers/layer_config.h"

namespace nnstate::checkpoint {

// The tensors of the layer whose tensor names start with `key` + ".". Throws Error(CORRUPT) naming
// `where` and the field for configurations the library cannot build or whose tensors could not fit
// in `data_length` bytes.
std::vector<ExpectedTensor> expected_tensors(const LayerConfig &config, const std::string &key,
                                             const std::string &where, uint64_t data_length);

// Throws Error(CORRUPT) naming `where` when the nodes (`layers[i]` placed by `links[i]`; empty
// `links`: a stack) do not
// form a graph from `sample_input` (rank 0: fixed by the first layer that requires a shape)
// that Graph::add would accept: names valid and unique, inputs earlier nodes, every node but
// the last used, shapes that fit; or when building them would allocate far more than a file
// with `data_length` bytes of tensors justifies. Returns the shape of one output sample (rank 0
// when no layer fixes the input shape).
Shape check_graph(const std::vector<LayerConfig> &layers, const std::vector<NodeLinks> &links,
                  const Shape &sample_input, const std::string &where, uint64_t data_length);

// How many layer output shapes this thread has computed in check_graph (for the test that
// the check stays linear in the number of layers).
uint64_t chain_shape_steps();

}  // namespace nnstate::checkpoint
