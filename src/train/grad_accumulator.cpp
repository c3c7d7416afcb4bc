#include "train/grad_accumulator.h"

#include <cstring>

namespace nnstate {

void GradAccumulator::bind(const std::vector<TensorRef> &params) {
  params_ = params;
  sums_.clear();
  sums_.reserve(params.size());
  for (const TensorRef &p : params) sums_.emplace_back(p.grad->shape());
}

void GradAccumulator::add(bool first) {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor &g = *params_[i].grad;
    float *s = sums_[i].data();
    if (first) {
      std::memcpy(s, g.data(), g.byte_size());
    } else {
      for (int64_t k = 0; k < g.numel(); ++k) s[k] += g[k];
    }
  }
}

void GradAccumulator::add_into_grads() const {
  for (size_t i = 0; i < params_.size(); ++i) {
    float *g = params_[i].grad->data();
    const float *s = sums_[i].data();
    for (int64_t k = 0; k < params_[i].grad->numel(); ++k) g[k] += s[k];
  }
}

}  // namespace nnstate
