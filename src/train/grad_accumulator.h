// Gradient accumulation over micro-batches. Layers' backward SETS their gradients, so the sum of
// a group's earlier micro-batches is kept here, one buffer per parameter allocated once; the
// last micro-batch of the group adds it into the gradients before the update. Adding the sum to
// the newest gradient gives the same floats as PyTorch's in-place accumulation (a + b == b + a).
#pragma once

#include <vector>

#include "tensor/tensor_ref.h"

namespace nnstate {

class GradAccumulator {
 public:
  // Buffers shaped like each parameter's gradient (none when `params` is empty).
  void bind(const std::vector<TensorRef> &params);

  // Adds the current gradients to the sums; `first` (the group's first micro-batch) copies.
  void add(bool first);
  // gradient += sum for every parameter: the group's total, ready for clipping and the step.
  void add_into_grads() const;

  // The sums, parallel to the parameters given to bind(), e.g. for a checkpoint.
  const std::vector<TensorRef> &params() const { return params_; }
  std::vector<Tensor> &sums() { return sums_; }
  const std::vector<Tensor> &sums() const { return sums_; }

 private:
  std::vector<TensorRef> params_;
  std::vector<Tensor> sums_;
};

}  // namespace nnstate
