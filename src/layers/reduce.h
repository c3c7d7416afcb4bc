// Sums of float arrays in double with eight independent partial sums. The compiler may not
// reorder floating-point additions by itself, so a plain loop is one serial chain of adds
// (~4 cycles per element); fixed lanes break the chain and vectorise while keeping the result
// deterministic (the order depends only on the length).
#pragma once

#include <cstdint>
#include <cstring>

namespace nnstate {

constexpr int kReduceLanes = 8;

// The lanes as GCC/Clang vector types: the compiler does not vectorise the lane loops of fixed
// arrays by itself here (it kept them scalar, 16 dependent-free but scalar adds per 8 elements).
// Vector arithmetic is lane-wise IEEE, so every lane sees the same operations as before and the
// results keep their bits; each target clone lowers the type to its own registers.
typedef double DoubleLanes __attribute__((vector_size(kReduceLanes * sizeof(double))));
typedef float FloatLanes __attribute__((vector_size(kReduceLanes * sizeof(float))));

// Loads kReduceLanes floats at x (any alignment) as doubles. A macro rather than a function: a
// function taking or returning these types would change its ABI between the target clones.
#define NNSTATE_LOAD_LANES(lanes, x) \
  FloatLanes lanes;                  \
  std::memcpy(&lanes, (x), sizeof lanes)

inline double sum_of(const float *x, int64_t n) {
  DoubleLanes s = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    NNSTATE_LOAD_LANES(v, x + i);
    s += __builtin_convertvector(v, DoubleLanes);
  }
  for (; i < n; ++i) s[0] += x[i];
  double total = 0.0;
  for (int l = 0; l < kReduceLanes; ++l) total += s[l];
  return total;
}

// sum (x - shift) and sum (x - shift)^2: a one-pass mean and variance that a large mean does
// not cancel away when `shift` is one of the values.
inline void shifted_moments(const float *x, int64_t n, double shift, double &sum, double &sum_sq) {
  DoubleLanes s = {}, q = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    NNSTATE_LOAD_LANES(v, x + i);
    const DoubleLanes d = __builtin_convertvector(v, DoubleLanes) - shift;
    s += d;
    q += d * d;
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
  DoubleLanes s = {}, p = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    NNSTATE_LOAD_LANES(g, dy + i);
    NNSTATE_LOAD_LANES(v, x + i);
    const DoubleLanes gd = __builtin_convertvector(g, DoubleLanes);
    s += gd;
    p += gd * __builtin_convertvector(v - center, DoubleLanes);
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

#undef NNSTATE_LOAD_LANES

}  // namespace nnstate
