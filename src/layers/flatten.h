// nn.Flatten: merges the dims start_dim..end_dim (negative counts from the end) into one, e.g.
// [N, C, H, W] -> [N, C * H * W] with the defaults 1 and -1. The batch dim is never merged.
#pragma once

#include "layers/layer.h"

namespace nnstate {

class Flatten final : public Layer {
 public:
  // Uses start_dim and end_dim.
  explicit Flatten(const LayerConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  int32_t start_dim_, end_dim_;
};

}  // namespace nnstate
