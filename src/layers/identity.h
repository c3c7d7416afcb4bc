// nn.Identity: the output is the input, for any shape (a placeholder, e.g. a shortcut branch).
#pragma once

#include "layers/layer.h"

namespace nnstate {

class Identity final : public Layer {
 public:
  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override { return input; }
  bool preserves_shape() const override { return true; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;
};

}  // namespace nnstate
