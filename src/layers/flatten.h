// nn.Flatten: merges the dims start_dim..end_dim (negative counts from the end) into one, e.g.
// [N, C, H, W] -> [N, C * H * W] with the defaults 1 and -1. The batch dim is never merged.
#pragma once

#include "layers/layer.h"

namespace nnstate {

struct FlattenConfig {
  int32_t start_dim = 1;  // negative counts from the end, like nn.Flatten
  int32_t end_dim = -1;
  auto fields() const { return std::tie(start_dim, end_dim); }
};

class Flatten final : public Layer {
 public:
  explicit Flatten(const FlattenConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  int32_t start_dim_, end_dim_;
};

}  // namespace nnstate
