// The OpenBLAS core the library runs on: its correction of OpenBLAS 0.3.21's fallback to
// Prescott on CPUs it does not know (parallel/blas_core.h).
#include <doctest/doctest.h>

#include <cblas.h>

#include <cstdlib>
#include <string>

#include "parallel/blas_core.h"

using nnstate::better_blas_core;
using nnstate::selected_blas_core;

TEST_CASE("blas core: only OpenBLAS's Prescott fallback is replaced, by what the CPU supports") {
  CHECK(better_blas_core("Prescott", false, true, true) == "SkylakeX");
  CHECK(better_blas_core("Prescott", false, false, true) == "Haswell");
  CHECK(better_blas_core("Prescott", false, false, false).empty());  // an SSE3-only CPU
  CHECK(better_blas_core("Prescott", true, true, true).empty());     // the caller chose it
  CHECK(better_blas_core("Haswell", false, true, true).empty());     // OpenBLAS's own choice
  CHECK(better_blas_core("Zen", false, true, true).empty());
  CHECK(better_blas_core("SkylakeX", false, true, true).empty());
}

TEST_CASE("blas core: the core selected at load is the one in effect, and fixed for children") {
  const std::string now = openblas_get_corename();
  const char *env = std::getenv("OPENBLAS_CORETYPE");
  if (!selected_blas_core().empty()) {
    CHECK(now == selected_blas_core());
    REQUIRE(env != nullptr);
    CHECK(std::string(env) == selected_blas_core());
  }
  // Whoever chose (OpenBLAS, the caller or the library), an AVX2 machine never runs the SSE3
  // fallback unless the caller asked for it by name.
  const bool asked_for_prescott = env && std::string(env) == "Prescott";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !asked_for_prescott) {
    CHECK(now != "Prescott");
  }
}
