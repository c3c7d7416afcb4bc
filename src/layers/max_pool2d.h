// 2-d max pooling with PyTorch's semantics: input [N, C, H, W], padding counts as -inf (at
// most half the kernel, so every window holds an input element), and the gradient goes to the
// first maximal element of each window in row-major order (NaN counts as maximal).
#pragma once

#include <vector>

#include "layers/im2col.h"
#include "layers/layer.h"

namespace nnstate {

class MaxPool2d final : public Layer {
 public:
  // Uses kernel_size, stride (0: equal to kernel_size, PyTorch's default), padding, dilation.
  explicit MaxPool2d(const LayerConfig &config);

  LayerConfig config() const override { return config_; }
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Routes the gradient through the maxima found by the last forward pass.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  WindowGeometry geometry(const Shape &input) const;
  std::string describe() const;

  LayerConfig config_;
  // For every output element, the offset of its maximum inside the input plane; grown only
  // when a larger batch is seen.
  std::vector<int32_t> argmax_;
};

}  // namespace nnstate
