// What MaxPool2d and AvgPool2d check alike about their window, so that both give one message.
#pragma once

#include <climits>
#include <string>

#include "layers/layer.h"

namespace nnstate {

// PyTorch's default stride: (0, 0) stands for the kernel size.
inline Size2 pool_stride(const Size2 &kernel, const Size2 &stride) {
  return stride.h == 0 && stride.w == 0 ? kernel : stride;
}

// "" when the kernel and stride are in [1, 2^31 - 1] and the padding in [0, kernel / 2];
// otherwise what is wrong.
inline std::string pool_window_problem(const Size2 &kernel, const Size2 &stride,
                                       const Size2 &padding) {
  const auto in_range = [](int64_t v) { return v >= 1 && v <= INT_MAX; };
  if (!in_range(kernel.h) || !in_range(kernel.w)) return "kernel_size must be positive";
  if (!in_range(stride.h) || !in_range(stride.w)) {
    return "stride must be positive (or both 0 for kernel_size)";
  }
  if (padding.h < 0 || padding.w < 0 || padding.h > kernel.h / 2 || padding.w > kernel.w / 2) {
    return "padding must be in [0, kernel_size / 2]";
  }
  return "";
}

}  // namespace nnstate
