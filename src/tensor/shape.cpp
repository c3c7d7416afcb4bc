#include "tensor/shape.h"

#include "util/error.h"

namespace nnstate {

Shape::Shape(std::initializer_list<int64_t> list) {
  if (list.size() > static_cast<size_t>(kMaxRank)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "a tensor has at most 4 dimensions, got " + std::to_string(list.size()));
  }
  for (int64_t d : list) {
    if (d < 0) fail(NNSTATE_ERR_INVALID_ARGUMENT, "negative dimension " + std::to_string(d));
    dims[rank++] = d;
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    if (__builtin_mul_overflow(n, dims[i], &n)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, "shape " + to_string() + " overflows 64 bits");
    }
  }
  return n;
}

Shape Shape::with_batch(int64_t batch) const {
  Shape s = *this;
  s.dims[0] = batch;
  return s;
}

Shape Shape::sample() const {
  Shape s;
  for (int i = 1; i < rank; ++i) s.dims[s.rank++] = dims[i];
  return s;
}

Shape Shape::batched(int64_t batch) const {
  if (rank >= kMaxRank) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "a sample has at most 3 dimensions, got " + to_string());
  }
  Shape s;
  s.rank = rank + 1;
  s.dims[0] = batch;
  for (int i = 0; i < rank; ++i) s.dims[i + 1] = dims[i];
  return s;
}

std::string Shape::to_string() const {
  std::string out = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

bool Shape::operator==(const Shape &other) const {
  if (rank != other.rank) return false;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] != other.dims[i]) return false;
  }
  return true;
}

}  // namespace nnstate
