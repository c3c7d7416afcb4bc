// The C optimizer options as the core's config: shared by nnstate_network_set_optimizer and
// nnstate_network_set_optimizer_groups.
#pragma once

#include "guard.h"
#include "optim/optimizer.h"

namespace nnstate::capi {

inline OptimizerConfig optimizer_config_of(const nnstate_optimizer_options *options) {
  check_struct_size(options, "nnstate_optimizer_options");
  OptimizerConfig c;
  c.kind = static_cast<OptimizerKind>(options->kind);
  c.lr = options->lr;
  c.beta1 = options->beta1;
  c.beta2 = options->beta2;
  c.eps = options->eps;
  c.weight_decay = options->weight_decay;
  c.amsgrad = options->amsgrad != 0;
  c.maximize = options->maximize != 0;
  c.momentum = options->momentum;
  c.dampening = options->dampening;
  c.nesterov = options->nesterov != 0;
  return c;
}

// Read-only queries still walk the state visitor, whose interface is non-const.
inline nnstate_network *mutable_network(const nnstate_network *network) {
  return const_cast<nnstate_network *>(network);
}

}  // namespace nnstate::capi
