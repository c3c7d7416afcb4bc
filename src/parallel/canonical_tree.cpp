#include "parallel/canonical_tree.h"

namespace nnstate {

// Bottom-up over the levels: at stride s, node k (a multiple of 2s) takes the node k + s.
void canonical_tree_sum(float *const *parts, int64_t n, int64_t begin, int64_t end) {
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      float *left = parts[k];
      const float *right = parts[k + stride];
      for (int64_t i = begin; i < end; ++i) left[i] += right[i];
    }
  }
}

void canonical_tree_sum(double *values, int64_t n, int64_t width) {
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      double *left = values + k * width;
      const double *right = values + (k + stride) * width;
      for (int64_t j = 0; j < width; ++j) left[j] += right[j];
    }
  }
}

void canonical_tree_moments(double *mean, double *m2, int64_t *count, int64_t n, int64_t width) {
  // A node's count is kept in its left part's slot, as its mean and m2 are.
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      const int64_t na = count[k], nb = count[k + stride], total = na + nb;
      if (nb == 0) continue;
      double *ma = mean + k * width, *qa = m2 + k * width;
      const double *mb = mean + (k + stride) * width, *qb = m2 + (k + stride) * width;
      const double wb = static_cast<double>(nb) / static_cast<double>(total);
      const double cross = static_cast<double>(na) * wb;  // na nb / (na + nb)
      for (int64_t c = 0; c < width; ++c) {
        const double delta = mb[c] - ma[c];
        ma[c] += delta * wb;
        qa[c] += qb[c] + delta * delta * cross;
      }
      count[k] = total;
    }
  }
}

}  // namespace nnstate
