// nn.AdaptiveAvgPool2d: input [N, C, H, W] -> [N, C, oh, ow] for any output size; output row i
// averages input rows floor(i H / oh) .. ceil((i + 1) H / oh) - 1 (columns alike), so windows
// differ in size and overlap when oh does not divide H. Output (1, 1) is global average pooling.
#pragma once

#include "layers/layer.h"

namespace nnstate {

struct AdaptiveAvgPool2dConfig {
  Size2 output_size{1, 1};  // (oh, ow), each at least 1
  auto fields() const { return std::tie(output_size); }
};

class AdaptiveAvgPool2d final : public Layer {
 public:
  // Both extents of output_size must be in [1, 2^31 - 1].
  explicit AdaptiveAvgPool2d(const AdaptiveAvgPool2dConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  std::string describe() const;

  Size2 output_size_;
};

}  // namespace nnstate
