// Finite-difference checks of analytic gradients, shared by the layer and loss tests.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "tensor/tensor.h"

namespace nnstate::testing {

// Compares `analytic` with central differences of `objective` (evaluated in double from float
// outputs) with respect to every element of `variable`. Step 1e-3 in float32: truncation error
// is O(h^2) ~ 1e-6 and rounding error ~ 1e-7 / h ~ 1e-4, hence the tolerance.
inline void check_against_finite_differences(Tensor &variable, const Tensor &analytic,
                                             const std::function<double()> &objective,
                                             const char *what) {
  REQUIRE(variable.shape() == analytic.shape());
  const float h = 1e-3f;
  for (int64_t i = 0; i < variable.numel(); ++i) {
    const float saved = variable[i];
    variable[i] = saved + h;
    const double plus = objective();
    variable[i] = saved - h;
    const double minus = objective();
    variable[i] = saved;
    const double numeric = (plus - minus) / (2.0 * static_cast<double>(h));
    const double tolerance = 2e-3 + 1e-2 * std::fabs(numeric);
    INFO(what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric);
    CHECK(std::fabs(analytic[i] - numeric) <= tolerance);
  }
}

// A deterministic tensor with values in [low, high), kept at least `gap` away from zero so that
// kinks (ReLU at 0) are never straddled by a finite-difference step.
inline Tensor test_tensor(const Shape &shape, uint32_t salt, float low = -1.0f, float high = 1.0f,
                          float gap = 0.0f) {
  Tensor t(shape);
  uint32_t state = 2463534242u ^ (salt * 2654435761u);
  for (int64_t i = 0; i < t.numel(); ++i) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    float v = low + (high - low) * static_cast<float>(state >> 8) / 16777216.0f;
    if (std::fabs(v) < gap) v = v < 0 ? v - gap : v + gap;
    t[i] = v;
  }
  return t;
}

}  // namespace nnstate::testing
