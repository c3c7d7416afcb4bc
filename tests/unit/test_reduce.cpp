// The fixed-lane sums of layers/reduce.h against their definition, bit for bit: element i of
// the whole blocks of eight goes to lane i % 8, the tail to lane 0, and the lanes are added in
// order. BatchNorm's and LayerNorm's statistics and Conv2d's bias gradient are these sums, so
// the order is what keeps their bits; it must also be the same at every vector width, which
// the AVX2 and AVX-512 builds of the same functions check where the CPU has them.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "layers/reduce.h"
#include "random/rng.h"

using namespace nnstate;

namespace {

struct Moments {
  double a, b;
};

// The definition: lanes of doubles filled one element at a time.
template <class Term>
double lane_sum(int64_t n, Term term) {
  double lanes[kReduceLanes] = {};
  const int64_t whole = n / kReduceLanes * kReduceLanes;
  for (int64_t i = 0; i < whole; ++i) lanes[i % kReduceLanes] += term(i);
  for (int64_t i = whole; i < n; ++i) lanes[0] += term(i);
  double total = 0.0;
  for (double lane : lanes) total += lane;
  return total;
}

Moments expected_shifted(const float *x, int64_t n, double shift) {
  auto d = [&](int64_t i) { return static_cast<double>(x[i]) - shift; };
  return {lane_sum(n, d), lane_sum(n, [&](int64_t i) { return d(i) * d(i); })};
}

Moments expected_gradient(const float *dy, const float *x, float center, int64_t n) {
  return {lane_sum(n, [&](int64_t i) { return static_cast<double>(dy[i]); }),
          lane_sum(n, [&](int64_t i) {
            return static_cast<double>(dy[i]) * static_cast<double>(x[i] - center);
          })};
}

// The functions as each vector width compiles them (inlined into these wrappers).
#define NNSTATE_REDUCE_AT(suffix, attribute)                                                      \
  attribute double sum_##suffix(const float *x, int64_t n) {                                      \
    return sum_of(x, n);                                                                          \
  }                                                                                               \
  attribute Moments shifted_##suffix(const float *x, int64_t n, double shift) {                   \
    Moments m;                                                                                    \
    shifted_moments(x, n, shift, m.a, m.b);                                                       \
    return m;                                                                                     \
  }                                                                                               \
  attribute Moments gradient_##suffix(const float *dy, const float *x, float center, int64_t n) { \
    Moments m;                                                                                    \
    gradient_moments(dy, x, center, n, m.a, m.b);                                                 \
    return m;                                                                                     \
  }
NNSTATE_REDUCE_AT(baseline, )
NNSTATE_REDUCE_AT(avx2, __attribute__((target("avx2"))))
NNSTATE_REDUCE_AT(avx512, __attribute__((target("avx512f"))))
#undef NNSTATE_REDUCE_AT

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Values of mixed magnitudes, so that a different order of the additions changes the result.
std::vector<float> mixed_values(int64_t count, uint64_t seed) {
  Rng rng(seed, RngStream::init);
  std::vector<float> v(static_cast<size_t>(count));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = rng.uniform(-1.0f, 1.0f) * (i % 3 == 0 ? 1e6f : i % 3 == 1 ? 1.0f : 1e-6f);
  }
  return v;
}

void check_width(double (*sum)(const float *, int64_t),
                 Moments (*shifted)(const float *, int64_t, double),
                 Moments (*gradient)(const float *, const float *, float, int64_t)) {
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 49, 196, 1001}) {
    CAPTURE(n);
    const std::vector<float> x = mixed_values(n, 1), dy = mixed_values(n, 2);
    const double shift = n ? x[0] : 0.0;
    CHECK(same_bits(sum(x.data(), n), lane_sum(n, [&](int64_t i) { return double{x[i]}; })));
    const Moments s = shifted(x.data(), n, shift), s_ref = expected_shifted(x.data(), n, shift);
    CHECK(same_bits(s.a, s_ref.a));
    CHECK(same_bits(s.b, s_ref.b));
    const Moments g = gradient(dy.data(), x.data(), 0.25f, n);
    const Moments g_ref = expected_gradient(dy.data(), x.data(), 0.25f, n);
    CHECK(same_bits(g.a, g_ref.a));
    CHECK(same_bits(g.b, g_ref.b));
  }
}

}  // namespace

TEST_CASE("reduce: fixed-lane sums equal their definition bit for bit at every vector width") {
  // The reference itself depends on the order: a plain serial sum differs on these values.
  const std::vector<float> x = mixed_values(1001, 1);
  double serial = 0.0;
  for (float v : x) serial += v;
  CHECK_FALSE(same_bits(serial, sum_baseline(x.data(), 1001)));

  check_width(sum_baseline, shifted_baseline, gradient_baseline);
  if (__builtin_cpu_supports("avx2")) check_width(sum_avx2, shifted_avx2, gradient_avx2);
  if (__builtin_cpu_supports("avx512f")) check_width(sum_avx512, shifted_avx512, gradient_avx512);
}
