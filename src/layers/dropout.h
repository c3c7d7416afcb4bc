// Inverted dropout (nn.Dropout): in training, each element is zeroed with probability p and
// the others are scaled by 1 / (1 - p); identity in evaluation. The mask comes only from
// RunContext::dropout_rng, one uniform draw per element in element order, so restoring that
// generator's state (it is checkpointed) reproduces the masks bit for bit.
#pragma once

#include "layers/layer.h"

namespace nnstate {

// Dropout's and Dropout2d's options.
struct DropoutConfig {
  double p = 0.5;  // probability of zeroing an element (Dropout2d: a channel), in [0, 1)
  auto fields() const { return std::tie(p); }
};

class Dropout final : public Layer {
 public:
  // p in [0, 1).
  explicit Dropout(double p);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override { return input; }
  bool preserves_shape() const override { return true; }
  // Draws nothing when not training or when p is 0.
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Applies the mask of the last forward pass.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  double p_;
  // 0 or 1 / (1 - p) per element of the last training forward; grown only for larger batches.
  Tensor mask_;
  bool mask_active_ = false;
};

}  // namespace nnstate
