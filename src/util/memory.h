// Sizes and aligned allocations computed from callers' and files' numbers: every byte count is
// overflow-checked, and a request larger than the machine's memory is refused before anything
// is allocated, because Linux overcommits: a too-large allocation "succeeds" and the process
// then spends minutes faulting pages in (or is killed) while it initialises them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnstate {

// count * element_size as a byte count. Throws INVALID_ARGUMENT naming `what` and the numbers
// when count is negative or the product does not fit in size_t.
size_t checked_bytes(int64_t count, size_t element_size, const char *what);

// a + b, throwing INVALID_ARGUMENT naming `what` when the sum overflows size_t.
size_t checked_sum(size_t a, size_t b, const char *what);

// The memory one process can hope to get: the physical memory, or the cgroup (v2) limit when
// that is lower. Computed once.
uint64_t memory_limit_bytes();

// Throws OUT_OF_MEMORY naming `what` when `bytes` exceed memory_limit_bytes(): such a request
// can only end in swapping or the OOM killer.
void check_fits_in_memory(uint64_t bytes, const char *what);

// operator new with `alignment` (a power of two), after checking that rounding `bytes` up to
// the alignment does not wrap (libstdc++ rounds silently) and that it fits in memory.
void *aligned_allocate(size_t bytes, size_t alignment, const char *what);
void aligned_free(void *memory, size_t alignment) noexcept;

// The alignment and granule of huge_pages_allocate: one transparent huge page.
constexpr size_t kHugePageBytes = size_t{2} << 20;

// `bytes` (a non-zero multiple of kHugePageBytes) of kHugePageBytes-aligned memory mapped
// straight from the kernel with transparent huge pages: it reads as zero and takes no memory
// until written, so large tensors need no zero-filling pass and those never written (gradients
// of a network used for inference) cost nothing. Checked like aligned_allocate; OUT_OF_MEMORY
// when the kernel refuses.
void *huge_pages_allocate(size_t bytes, const char *what);
void huge_pages_free(void *memory, size_t bytes) noexcept;

}  // namespace nnstate
