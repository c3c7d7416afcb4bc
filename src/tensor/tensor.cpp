#include "tensor/tensor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "util/memory.h"

namespace nnstate {
namespace {

constexpr size_t kAlignment = 64;
// Tensors of at least this size get whole huge pages from the kernel (huge_pages_allocate):
// page faults cost ~14 µs per 4 KiB page on our machines, so large tensors are faulted in 512
// times less, and their fresh storage reads as zero without being written.
constexpr size_t kHugePage = kHugePageBytes;
// alignment_ of a storage that maps a file (map_file).
constexpr size_t kFileMapping = 1;

size_t page_size() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

size_t alignment_for(size_t bytes) {
  return bytes >= kHugePage ? kHugePage : kAlignment;
}

}  // namespace

Tensor::Tensor(const Shape &shape) {
  resize(shape);
  // Fresh huge pages are zero already: writing them would only fault them in (a network loaded
  // for inference never touches its gradients; a loaded one writes its parameters once).
  if (alignment_ != kHugePage) zero();
}

Tensor Tensor::declaration(const Shape &shape) {
  Tensor t;
  t.shape_ = shape;
  return t;
}

Tensor::Tensor(const Tensor &other) {
  resize(other.shape_);
  if (numel_) std::memcpy(data_, other.data_, byte_size());
}

Tensor &Tensor::operator=(const Tensor &other) {
  if (this != &other) {
    resize(other.shape_);
    if (numel_) std::memcpy(data_, other.data_, byte_size());
  }
  return *this;
}

Tensor::Tensor(Tensor &&other) noexcept {
  *this = std::move(other);
}

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    numel_ = std::exchange(other.numel_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    alignment_ = std::exchange(other.alignment_, 0);
    shape_ = std::exchange(other.shape_, Shape{});
  }
  return *this;
}

Tensor::~Tensor() {
  release();
}

void Tensor::resize(const Shape &shape) {
  int64_t count = shape.numel();
  reserve(count);
  shape_ = shape;
  numel_ = count;
}

void Tensor::borrow(const float *data, const Shape &shape) {
  const int64_t count = shape.numel();
  release();
  data_ = const_cast<float *>(data);  // read-only by contract: see the header
  shape_ = shape;
  numel_ = count;
}

bool Tensor::map_file(int fd, uint64_t file_offset, const Shape &shape) {
  const int64_t count = shape.numel();
  const size_t bytes = checked_bytes(count, sizeof(float), "a mapped tensor");
  const size_t page = page_size();
  const uint64_t start = file_offset / page * page;
  const size_t head = static_cast<size_t>(file_offset - start);
  if (bytes == 0 || file_offset % kAlignment != 0 || bytes > SIZE_MAX - head - page) return false;
  const size_t length = (head + bytes + page - 1) / page * page;
  void *memory =
      ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, static_cast<off_t>(start));
  if (memory == MAP_FAILED) return false;
  release();
  data_ = reinterpret_cast<float *>(static_cast<unsigned char *>(memory) + head);
  capacity_ = static_cast<int64_t>((length - head) / sizeof(float));
  alignment_ = kFileMapping;
  shape_ = shape;
  numel_ = count;
  return true;
}

void Tensor::fill(float value) {
  std::fill(data_, data_ + numel_, value);
}

void Tensor::reserve(int64_t count) {
  if (count <= capacity_) return;
  size_t bytes = checked_bytes(count, sizeof(float), "a tensor");
  const size_t alignment = alignment_for(bytes);
  bytes = checked_sum(bytes, alignment - 1, "a tensor") / alignment * alignment;
  void *memory = alignment == kHugePage ? huge_pages_allocate(bytes, "a tensor")
                                        : aligned_allocate(bytes, alignment, "a tensor");
  release();
  data_ = static_cast<float *>(memory);
  capacity_ = static_cast<int64_t>(bytes / sizeof(float));
  alignment_ = alignment;
}

void Tensor::release() {
  if (data_ && alignment_ == kHugePage) {
    huge_pages_free(data_, static_cast<size_t>(capacity_) * sizeof(float));
  } else if (data_ && alignment_ == kFileMapping) {
    const uintptr_t at = reinterpret_cast<uintptr_t>(data_);
    const uintptr_t base = at / page_size() * page_size();
    ::munmap(reinterpret_cast<void *>(base),
             at + static_cast<size_t>(capacity_) * sizeof(float) - base);
  } else if (data_ && alignment_ != 0) {
    aligned_free(data_, alignment_);
  }
  data_ = nullptr;
  capacity_ = 0;
  alignment_ = 0;
}

}  // namespace nnstate
