// 2-d average pooling with PyTorch's semantics (nn.AvgPool2d, ceil_mode=False): input
// [N, C, H, W], zero padding of at most half the kernel, and the divisor either the whole
// kernel (count_include_pad=True, the default) or only the window's elements inside the input.
#pragma once

#include "layers/im2col.h"
#include "layers/layer.h"

namespace nnstate {

class AvgPool2d final : public Layer {
 public:
  // Uses kernel_size, stride (0: equal to kernel_size), padding and count_include_pad;
  // dilation must stay (1, 1) (nn.AvgPool2d has none).
  explicit AvgPool2d(const LayerConfig &config);

  LayerConfig config() const override { return config_; }
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  std::string describe() const;

  LayerConfig config_;
};

}  // namespace nnstate
