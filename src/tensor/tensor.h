// Tensor: float32, row-major, 64-byte aligned storage that is reused when the shape shrinks or
// grows within its capacity, so a training step reallocates nothing once sizes are known.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/shape.h"

namespace nnstate {

class Tensor {
 public:
  Tensor() = default;
  // A zero-filled tensor of this shape.
  explicit Tensor(const Shape &shape);
  Tensor(const Tensor &other);
  // A tensor that only has a shape: no storage, no elements (numel 0), whatever the shape's
  // size. It declares a layer's state without building it (layers/layer_state.h).
  static Tensor declaration(const Shape &shape);
  Tensor &operator=(const Tensor &other);
  Tensor(Tensor &&other) noexcept;
  Tensor &operator=(Tensor &&other) noexcept;
  ~Tensor();

  // Changes the shape, keeping the storage when it is large enough. Contents are unspecified
  // after a resize that grows the tensor.
  void resize(const Shape &shape);
  // Makes this tensor a read-only view of the caller's `data` (not copied, not freed), e.g. the
  // network input. Only pass the result as `const Tensor &`; a later resize allocates storage.
  void borrow(const float *data, const Shape &shape);
  // Makes the storage a private (copy-on-write) mapping of the open file `fd` whose values start
  // at `file_offset` (a multiple of 64): no copy and no memory besides the page cache until a
  // page is written, which then copies that 4 KiB page. The file must not be truncated or
  // rewritten in place while the storage lives (as for any mapping: SIGBUS or changed values).
  // Returns false, changing nothing, when the system refuses the mapping.
  bool map_file(int fd, uint64_t file_offset, const Shape &shape);
  void fill(float value);
  void zero() { fill(0.0f); }

  const Shape &shape() const { return shape_; }
  int64_t numel() const { return numel_; }
  size_t byte_size() const { return static_cast<size_t>(numel_) * sizeof(float); }
  float *data() { return data_; }
  const float *data() const { return data_; }
  float &operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

 private:
  void reserve(int64_t count);
  void release();

  float *data_ = nullptr;
  int64_t numel_ = 0;
  int64_t capacity_ = 0;
  size_t alignment_ = 0;  // 0 while the storage is borrowed (or absent); 1: a file mapping
  Shape shape_;
};

}  // namespace nnstate
