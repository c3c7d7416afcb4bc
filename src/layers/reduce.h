// Sums of float arrays in double with eight independent partial sums. The compiler may not
// reorder floating-point additions by itself, so a plain loop is one serial chain of adds
// (~4 cycles per element); fixed lanes break the chain and vectorise while keeping the result
// deterministic (the order depends only on the length).
#pragma once

#include <cstdint>
#include <cstring>

namespace nnstate {

constexpr int kReduceLanes = 8;

// The eight lanes as two halves of GCC/Clang vector types: the compiler does not vectorise the
// lane loops of fixed arrays by itself (it kept them scalar). A half is 256 bits of doubles, a
// register of the AVX2 clone: one 512-bit type instead made GCC's AVX2 clone spill every add
// through the stack (plane_moments took 8% of a CNN step on Zen 3, as much as a third of the
// GEMMs). Vector arithmetic is lane-wise IEEE, so every lane sees the same operations in every
// clone and the results keep their bits.
typedef double DoubleHalf __attribute__((vector_size(kReduceLanes / 2 * sizeof(double))));
typedef float FloatHalf __attribute__((vector_size(kReduceLanes / 2 * sizeof(float))));

struct DoubleLanes {
  DoubleHalf low = {}, high = {};
  double total() const {  // lanes 0 to 7 in order
    double sum = 0.0;
    for (int l = 0; l < kReduceLanes / 2; ++l) sum += low[l];
    for (int l = 0; l < kReduceLanes / 2; ++l) sum += high[l];
    return sum;
  }
};

// The four floats of a FloatHalf as doubles. Built element by element because GCC 12 then
// emits one vcvtps2pd per half; __builtin_convertvector became two 128-bit converts and an
// insert in the AVX2 clone.
static_assert(kReduceLanes / 2 == 4, "NNSTATE_TO_DOUBLES names four elements");
#define NNSTATE_TO_DOUBLES(f)      \
  DoubleHalf {                     \
    (f)[0], (f)[1], (f)[2], (f)[3] \
  }

// Loads kReduceLanes / 2 floats at x (any alignment) as doubles. A macro rather than a function:
// a function taking or returning these types would change its ABI between the target clones.
#define NNSTATE_LOAD_HALF(half, x)                        \
  FloatHalf half##_floats;                                \
  std::memcpy(&half##_floats, (x), sizeof half##_floats); \
  const DoubleHalf half = NNSTATE_TO_DOUBLES(half##_floats)

inline double sum_of(const float *x, int64_t n) {
  DoubleLanes s;
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    NNSTATE_LOAD_HALF(low, x + i);
    NNSTATE_LOAD_HALF(high, x + i + kReduceLanes / 2);
    s.low += low;
    s.high += high;
  }
  for (; i < n; ++i) s.low[0] += x[i];
  return s.total();
}

// sum (x - shift) and sum (x - shift)^2: a one-pass mean and variance that a large mean does
// not cancel away when `shift` is one of the values.
inline void shifted_moments(const float *x, int64_t n, double shift, double &sum, double &sum_sq) {
  DoubleLanes s, q;
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    NNSTATE_LOAD_HALF(low, x + i);
    NNSTATE_LOAD_HALF(high, x + i + kReduceLanes / 2);
    const DoubleHalf d_low = low - shift, d_high = high - shift;
    s.low += d_low;
    s.high += d_high;
    q.low += d_low * d_low;
    q.high += d_high * d_high;
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    s.low[0] += d;
    q.low[0] += d * d;
  }
  sum = s.total();
  sum_sq = q.total();
}

// sum dy and sum dy (x - center), with x - center rounded to float as a forward pass does.
inline void gradient_moments(const float *dy, const float *x, float center, int64_t n, double &sum,
                             double &dot) {
  DoubleLanes s, p;
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    NNSTATE_LOAD_HALF(g_low, dy + i);
    NNSTATE_LOAD_HALF(g_high, dy + i + kReduceLanes / 2);
    FloatHalf v_low, v_high;
    std::memcpy(&v_low, x + i, sizeof v_low);
    std::memcpy(&v_high, x + i + kReduceLanes / 2, sizeof v_high);
    s.low += g_low;
    s.high += g_high;
    p.low += g_low * NNSTATE_TO_DOUBLES(v_low - center);
    p.high += g_high * NNSTATE_TO_DOUBLES(v_high - center);
  }
  for (; i < n; ++i) {
    s.low[0] += dy[i];
    p.low[0] += static_cast<double>(dy[i]) * (x[i] - center);
  }
  sum = s.total();
  dot = p.total();
}

#undef NNSTATE_LOAD_HALF
#undef NNSTATE_TO_DOUBLES

}  // namespace nnstate
