// An allocator for the program's big buffers (decompressed files, the float datasets). Page
// faults are expensive on the target machines (~14 us per 4 KiB page), so blocks of 2 MiB and
// more are 2 MiB-aligned and marked for transparent huge pages; small ones use operator new.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace nnstate_cli {

void *large_allocate(size_t bytes);
void large_free(void *p, size_t bytes) noexcept;

template <typename T>
struct LargeAllocator {
  using value_type = T;
  LargeAllocator() = default;
  template <typename U>
  LargeAllocator(const LargeAllocator<U> &) noexcept {}
  T *allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    return static_cast<T *>(large_allocate(n * sizeof(T)));
  }
  void deallocate(T *p, size_t n) noexcept { large_free(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const LargeAllocator<U> &) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const LargeAllocator<U> &) const noexcept {
    return false;
  }
};

using Bytes = std::vector<uint8_t, LargeAllocator<uint8_t>>;
using Floats = std::vector<float, LargeAllocator<float>>;

}  // namespace nnstate_cli
