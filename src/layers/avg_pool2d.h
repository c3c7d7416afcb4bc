// 2-d average pooling with PyTorch's semantics (nn.AvgPool2d, ceil_mode=False): input
// [N, C, H, W], zero padding of at most half the kernel, and the divisor either the whole
// kernel (count_include_pad=True, the default) or only the window's elements inside the input.
#pragma once

#include "layers/im2col.h"
#include "layers/layer.h"

namespace nnstate {

struct AvgPool2dConfig {
  Size2 kernel_size{0, 0};
  Size2 stride{1, 1};  // (0, 0): equal to kernel_size
  Size2 padding{0, 0};
  bool count_include_pad = true;  // padded zeros count in the divisor
  auto fields() const { return std::tie(kernel_size, stride, padding, count_include_pad); }
};

class AvgPool2d final : public Layer {
 public:
  explicit AvgPool2d(const AvgPool2dConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  std::string describe() const;
  WindowGeometry geometry(const Shape &input) const;

  AvgPool2dConfig config_;
};

}  // namespace nnstate
