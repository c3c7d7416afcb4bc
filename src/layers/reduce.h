// Sums of float arrays in double with eight independent partial sums. The compiler may not
// reorder floating-point additions by itself, so a plain loop is one serial chain of adds
// (~4 cycles per element); fixed lanes break the chain and vectorise while keeping the result
// deterministic (the order depends only on the length).
#pragma once

#include <cstdint>

namespace nnstate {

constexpr int kReduceLanes = 8;

inline double sum_of(const float *x, int64_t n) {
  double s[kReduceLanes] = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    for (int l = 0; l < kReduceLanes; ++l) s[l] += x[i + l];
  }
  for (; i < n; ++i) s[0] += x[i];
  double total = 0.0;
  for (double v : s) total += v;
  return total;
}

// sum (x - shift) and sum (x - shift)^2: a one-pass mean and variance that a large mean does
// not cancel away when `shift` is one of the values.
inline void shifted_moments(const float *x, int64_t n, double shift, double &sum, double &sum_sq) {
  double s[kReduceLanes] = {}, q[kReduceLanes] = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    for (int l = 0; l < kReduceLanes; ++l) {
      const double d = static_cast<double>(x[i + l]) - shift;
      s[l] += d;
      q[l] += d * d;
    }
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    s[0] += d;
    q[0] += d * d;
  }
  sum = sum_sq = 0.0;
  for (int l = 0; l < kReduceLanes; ++l) {
    sum += s[l];
    sum_sq += q[l];
  }
}

// sum dy and sum dy (x - center), with x - center rounded to float as a forward pass does.
inline void gradient_moments(const float *dy, const float *x, float center, int64_t n, double &sum,
                             double &dot) {
  double s[kReduceLanes] = {}, p[kReduceLanes] = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    for (int l = 0; l < kReduceLanes; ++l) {
      s[l] += dy[i + l];
      p[l] += static_cast<double>(dy[i + l]) * (x[i + l] - center);
    }
  }
  for (; i < n; ++i) {
    s[0] += dy[i];
    p[0] += static_cast<double>(dy[i]) * (x[i] - center);
  }
  sum = dot = 0.0;
  for (int l = 0; l < kReduceLanes; ++l) {
    sum += s[l];
    dot += p[l];
  }
}

}  // namespace nnstate
