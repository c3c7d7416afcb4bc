#include "losses/loss.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace nnstate {
namespace {

class MSELoss final : public Loss {
 public:
  LossKind kind() const override { return LossKind::mse; }
  int64_t target_count(const Shape &output) const override { return output.numel(); }
  int64_t mean_denominator(const Shape &output) const override { return output.numel(); }
  double compute_sum(const Tensor &output, const float *targets, Tensor *grad,
                     int64_t denominator) const override {
    const int64_t n = output.numel();
    const float *x = output.data();
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double d = static_cast<double>(x[i]) - targets[i];
      sum += d * d;
    }
    if (grad) {
      const float scale = 2.0f / static_cast<float>(denominator);
      float *g = grad->data();
      for (int64_t i = 0; i < n; ++i) g[i] = scale * (x[i] - targets[i]);
    }
    return sum;
  }
};

class CrossEntropyLoss final : public Loss {
 public:
  LossKind kind() const override { return LossKind::cross_entropy; }
  int64_t target_count(const Shape &output) const override {
    if (output.rank != 2) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH,
           "CrossEntropyLoss expects logits [N, C], got " + output.to_string());
    }
    return output[0];
  }
  int64_t mean_denominator(const Shape &output) const override { return output[0]; }
  double compute_sum(const Tensor &output, const float *targets, Tensor *grad,
                     int64_t denominator) const override {
    const int64_t n = output.shape()[0], classes = output.shape()[1];
    double sum = 0.0;
    for (int64_t r = 0; r < n; ++r) {
      const float *logits = output.data() + r * classes;
      int64_t target = class_index(targets[r], r, classes);
      // log-softmax with the maximum subtracted, so large logits cannot overflow.
      float max = *std::max_element(logits, logits + classes);
      double denom = 0.0;
      for (int64_t c = 0; c < classes; ++c) denom += std::exp(static_cast<double>(logits[c]) - max);
      double log_denom = std::log(denom);
      sum += log_denom - (static_cast<double>(logits[target]) - max);
      if (grad) {
        float *g = grad->data() + r * classes;
        const double scale = 1.0 / static_cast<double>(denominator);
        for (int64_t c = 0; c < classes; ++c) {
          double p = std::exp(static_cast<double>(logits[c]) - max - log_denom);
          g[c] = static_cast<float>((p - (c == target ? 1.0 : 0.0)) * scale);
        }
      }
    }
    return sum;
  }

 private:
  static int64_t class_index(float value, int64_t sample, int64_t classes) {
    if (!(value >= 0.0f) || value >= static_cast<float>(classes) || value != std::floor(value)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, "CrossEntropyLoss target of sample " +
                                             std::to_string(sample) + " is " +
                                             std::to_string(value) + ", not a class index in [0, " +
                                             std::to_string(classes) + ")");
    }
    return static_cast<int64_t>(value);
  }
};

class BCEWithLogitsLoss final : public Loss {
 public:
  LossKind kind() const override { return LossKind::bce_with_logits; }
  int64_t target_count(const Shape &output) const override { return output.numel(); }
  int64_t mean_denominator(const Shape &output) const override { return output.numel(); }
  double compute_sum(const Tensor &output, const float *targets, Tensor *grad,
                     int64_t denominator) const override {
    const int64_t n = output.numel();
    const float *x = output.data();
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double v = x[i], y = targets[i];
      // max(x, 0) - x*y + log(1 + exp(-|x|)): stable for any x.
      sum += std::max(v, 0.0) - v * y + std::log1p(std::exp(-std::fabs(v)));
    }
    if (grad) {
      const double scale = 1.0 / static_cast<double>(denominator);
      float *g = grad->data();
      for (int64_t i = 0; i < n; ++i) {
        double sigmoid = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
        g[i] = static_cast<float>((sigmoid - targets[i]) * scale);
      }
    }
    return sum;
  }
};

}  // namespace

const char *loss_kind_name(LossKind kind) {
  switch (kind) {
    case LossKind::mse:
      return "MSELoss";
    case LossKind::cross_entropy:
      return "CrossEntropyLoss";
    case LossKind::bce_with_logits:
      return "BCEWithLogitsLoss";
  }
  return "unknown";
}

std::unique_ptr<Loss> make_loss(LossKind kind) {
  switch (kind) {
    case LossKind::mse:
      return std::make_unique<MSELoss>();
    case LossKind::cross_entropy:
      return std::make_unique<CrossEntropyLoss>();
    case LossKind::bce_with_logits:
      return std::make_unique<BCEWithLogitsLoss>();
  }
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "unknown loss kind " + std::to_string(static_cast<int32_t>(kind)));
}

}  // namespace nnstate
