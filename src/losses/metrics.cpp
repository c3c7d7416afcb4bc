#include "losses/metrics.h"

namespace nnstate {

bool has_accuracy(LossKind kind) {
  return kind == LossKind::cross_entropy || kind == LossKind::bce_with_logits;
}

int64_t count_correct(LossKind kind, const Tensor &output, const float *targets) {
  int64_t correct = 0;
  if (kind == LossKind::cross_entropy) {
    const int64_t n = output.shape()[0], classes = output.shape()[1];
    for (int64_t r = 0; r < n; ++r) {
      const float *row = output.data() + r * classes;
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c) {
        if (row[c] > row[best]) best = c;
      }
      correct += static_cast<float>(best) == targets[r];
    }
  } else if (kind == LossKind::bce_with_logits) {
    for (int64_t i = 0; i < output.numel(); ++i) {
      correct += (output[i] > 0.0f) == (targets[i] > 0.5f);
    }
  }
  return correct;
}

int64_t accuracy_denominator(LossKind kind, const Shape &output) {
  if (kind == LossKind::cross_entropy) return output[0];
  if (kind == LossKind::bce_with_logits) return output.numel();
  return 0;
}

}  // namespace nnstate
