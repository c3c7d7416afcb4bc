// Accuracy for the classification losses, computed on the same forward output as the loss.
#pragma once

#include <cstdint>

#include "losses/loss.h"

namespace nnstate {

// Whether `kind` has an accuracy metric (cross-entropy, BCE-with-logits).
bool has_accuracy(LossKind kind);
// Number of correct predictions: cross-entropy counts argmax(logits) == class (first maximum
// wins); BCE-with-logits counts (logit > 0) == (target > 0.5) per element. `targets` are the
// loss's targets. Returns 0 for kinds without accuracy.
int64_t count_correct(LossKind kind, const Tensor &output, const float *targets);
// How many predictions count_correct judges for an output of this shape.
int64_t accuracy_denominator(LossKind kind, const Shape &output);

}  // namespace nnstate
