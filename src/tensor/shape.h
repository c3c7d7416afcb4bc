// Shape of a tensor: up to four dimensions, row-major.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace nnstate {

struct Shape {
  static constexpr int kMaxRank = 4;

  int32_t rank = 0;
  int64_t dims[kMaxRank] = {0, 0, 0, 0};

  Shape() = default;
  Shape(std::initializer_list<int64_t> list);

  int64_t operator[](int i) const { return dims[i]; }
  // Product of the dimensions (1 for rank 0). Throws when it overflows int64.
  int64_t numel() const;
  // The same shape with the first (batch) dimension replaced.
  Shape with_batch(int64_t batch) const;
  // Shape without its first (batch) dimension: the shape of one sample.
  Shape sample() const;
  // This sample shape with a batch dimension in front. Throws when that exceeds 4 dims.
  Shape batched(int64_t batch) const;
  // "[2, 3]"
  std::string to_string() const;

  bool operator==(const Shape &other) const;
  bool operator!=(const Shape &other) const { return !(*this == other); }
};

}  // namespace nnstate
