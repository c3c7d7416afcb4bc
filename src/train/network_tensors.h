// A network's tensors as a list of references: the one place that turns the network's state
// visitor into what optimizers and early stopping take, so neither depends on the network class.
#pragma once

#include <vector>

#include "layers/graph.h"
#include "tensor/tensor_ref.h"

namespace nnstate {

// Every tensor, parameters and buffers, in visit_state order (what a checkpoint saves).
std::vector<TensorRef> network_tensors(Graph &network);
// The parameters only, in the same order: what an optimizer updates.
std::vector<TensorRef> network_parameters(Graph &network);

}  // namespace nnstate
