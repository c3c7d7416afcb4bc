// Frozen parameters (PyTorch requires_grad=False, Keras trainable=False): what freezing means
// for a network's backward and forward passes, computed from its frozen tensor names.
#pragma once

#include <string>
#include <vector>

#include "layers/graph.h"

namespace nnstate {

// The names of the network's parameters, in visit_state order.
std::vector<std::string> parameter_names(Graph &network);

// The parameters selected by `patterns` (optim/param_groups.h), in visit_state order. Throws
// NOT_FOUND naming a pattern that selects no parameter.
std::vector<std::string> select_parameters(Graph &network, const std::vector<std::string> &patterns,
                                           const std::string &what);

// Sets the network's per-node modes for `frozen` (sorted parameter names): a node runs its
// backward only when it or a node before it holds a trainable parameter (the others' weight and
// input gradients are never needed), and, with `batchnorm_eval`, a BatchNorm node whose
// parameters are all frozen runs its forward in eval mode (running statistics, no update).
void apply_frozen(Graph &network, const std::vector<std::string> &frozen, bool batchnorm_eval);

}  // namespace nnstate
