// NNSTATE_VECTOR_CLONES: compile a hot loop for AVX-512, AVX2 and the baseline, picked at load
// time. Element-wise IEEE operations and fixed-lane reductions give the same bits in every clone
// (the core is built with -ffp-contract=off, so no clone fuses multiply-adds), so results do not
// depend on the CPU's vector width.
#pragma once

// Sanitizer builds skip the clones: their ifunc resolvers run during relocation, before the
// sanitizer runtime is ready.
#ifdef NNSTATE_NO_TARGET_CLONES
#define NNSTATE_VECTOR_CLONES
#else
#define NNSTATE_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
