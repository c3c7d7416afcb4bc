// OpenBLAS's kernel set, corrected when its CPU detection fell back.
//
// OpenBLAS 0.3.21 (Debian 12's) picks its kernels by CPU model number. A model it does not know
// (Emerald Rapids, family 6 model 0xCF, on machines of this project's kind) gets Prescott's SSE3
// kernels, with which sgemm runs 2-4x slower than with the AVX-512 kernels the CPU can run. When
// the caller chose no core (OPENBLAS_CORETYPE unset) and OpenBLAS fell back to Prescott, the
// library selects the kernels the CPU's features support, as newer OpenBLAS releases do:
// SkylakeX with AVX-512 (F, CD, BW, DQ, VL), Haswell with AVX2 and FMA. It does so once, when it
// is loaded (before any GEMM of its own), and sets OPENBLAS_CORETYPE to that core, so the core is
// fixed for the process and its children and the checkpoints record it.
#pragma once

#include <string>

namespace nnstate {

// The core selected by the library at load, or "" when it kept OpenBLAS's own choice (the caller
// set OPENBLAS_CORETYPE, OpenBLAS did not fall back, the CPU has neither AVX2 nor AVX-512, or
// this OpenBLAS cannot switch: not a DYNAMIC_ARCH build).
const std::string &selected_blas_core();

// The core OpenBLAS should use: `detected` when it is not the fallback or the caller has chosen
// (`forced`), else the best the CPU's features allow ("" when none is better). Pure, for tests.
std::string better_blas_core(const std::string &detected, bool forced, bool avx512, bool avx2_fma);

}  // namespace nnstate
