#include "large_alloc.h"

#include <sys/mman.h>

namespace nnstate_cli {
namespace {
constexpr size_t kHuge = size_t{2} << 20;
}

void *large_allocate(size_t bytes) {
  if (bytes < kHuge) return ::operator new(bytes);
  const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  if (rounded < bytes) throw std::bad_alloc();
  // Map one huge page more than needed, keep the 2 MiB-aligned part, unmap the rest.
  void *raw =
      mmap(nullptr, rounded + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t tail = aligned + rounded, end = start + rounded + kHuge;
  if (end > tail) munmap(reinterpret_cast<void *>(tail), end - tail);
  madvise(reinterpret_cast<void *>(aligned), rounded, MADV_HUGEPAGE);  // advice only
  return reinterpret_cast<void *>(aligned);
}

void large_free(void *p, size_t bytes) noexcept {
  if (!p) return;
  if (bytes < kHuge) {
    ::operator delete(p);
    return;
  }
  munmap(p, (bytes + kHuge - 1) / kHuge * kHuge);
}

}  // namespace nnstate_cli
