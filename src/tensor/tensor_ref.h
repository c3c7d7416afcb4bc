// A named reference to a tensor that some container (a network, a test) owns: what optimizers
// and early stopping work on, so that neither depends on how a network is built.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace nnstate {

struct TensorRef {
  std::string name;         // the PyTorch state_dict name ("0.weight")
  Tensor *value = nullptr;  // never null
  // The gradient of a parameter (trainable); null for a buffer (state that is not trained,
  // e.g. BatchNorm running statistics).
  Tensor *grad = nullptr;

  bool is_parameter() const { return grad != nullptr; }
};

}  // namespace nnstate
