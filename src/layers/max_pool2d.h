// 2-d max pooling with PyTorch's semantics: input [N, C, H, W], padding counts as -inf (at
// most half the kernel, so every window holds an input element), and the gradient goes to the
// first maximal element of each window in row-major order (NaN counts as maximal).
#pragma once

#include <vector>

#include "layers/im2col.h"
#include "layers/layer.h"

namespace nnstate {

struct MaxPool2dConfig {
  Size2 kernel_size{0, 0};
  Size2 stride{1, 1};   // (0, 0): equal to kernel_size, PyTorch's default
  Size2 padding{0, 0};  // -inf, at most kernel_size / 2
  Size2 dilation{1, 1};
  auto fields() const { return std::tie(kernel_size, stride, padding, dilation); }
};

class MaxPool2d final : public Layer {
 public:
  explicit MaxPool2d(const MaxPool2dConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Routes the gradient through the maxima found by the last forward pass.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  WindowGeometry geometry(const Shape &input) const;
  std::string describe() const;
  // Pools planes [begin, end) of the [N, C, H, W] input (plane p is sample p / C, channel p % C).
  void forward_planes(const WindowGeometry &g, const float *input, float *output, int64_t begin,
                      int64_t end);

  MaxPool2dConfig config_;
  // For every output element, the offset of its maximum inside the input plane; grown only
  // when a larger batch is seen.
  std::vector<int32_t> argmax_;
};

}  // namespace nnstate
