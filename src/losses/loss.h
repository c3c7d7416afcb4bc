// Losses with PyTorch semantics and mean reduction: MSELoss, CrossEntropyLoss (logits and
// class indices) and BCEWithLogitsLoss. Each computes the loss and, optionally, its gradient
// in the same pass.
#pragma once

#include <cstdint>
#include <memory>

#include "tensor/tensor.h"

namespace nnstate {

// Persisted in checkpoints and the C API: append only.
enum class LossKind : int32_t { mse = 1, cross_entropy = 2, bce_with_logits = 3 };

const char *loss_kind_name(LossKind kind);

class Loss {
 public:
  virtual ~Loss() = default;
  virtual LossKind kind() const = 0;
  // How many target values an output of this shape needs (cross-entropy: one per sample).
  virtual int64_t target_count(const Shape &output) const = 0;
  // The mean loss of `output` against `targets` (target_count(output.shape()) values); when
  // `grad` is non-null it receives d loss / d output (already sized like output). Throws Error
  // on invalid targets (e.g. a class index out of range).
  float compute(const Tensor &output, const float *targets, Tensor *grad) const {
    const int64_t terms = mean_denominator(output.shape());
    return static_cast<float>(compute_sum(output, targets, grad, terms) /
                              static_cast<double>(terms));
  }
  // What the mean divides by: the elements (MSE, BCE) or the rows (cross-entropy) of `output`.
  virtual int64_t mean_denominator(const Shape &output) const = 0;
  // The sum of the mean's terms over `output`, and in `grad` the gradient of that sum divided
  // by `denominator`: a chunk of a batch passes the whole batch's mean_denominator, so its
  // gradient is its part of the batch mean's (chunked training, parallel/chunked_network.h).
  virtual double compute_sum(const Tensor &output, const float *targets, Tensor *grad,
                             int64_t denominator) const = 0;
};

std::unique_ptr<Loss> make_loss(LossKind kind);

}  // namespace nnstate
