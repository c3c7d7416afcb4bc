// nn.Dropout2d: in training, each channel of each sample of [N, C, H, W] (or [N, C, L], which
// PyTorch 1.13 also treats channel-wise) is zeroed as a whole with probability p, and the kept
// channels are scaled by 1 / (1 - p); identity in evaluation.
// Random stream: RunContext::dropout_rng (the one Dropout uses, and checkpointed), one draw
// per (sample, channel) in row-major order (n outer, c inner): N * C draws per training
// forward with p > 0, none otherwise. A restored stream therefore reproduces every mask.
#pragma once

#include <vector>

#include "layers/layer.h"

namespace nnstate {

class Dropout2d final : public Layer {
 public:
  // p in [0, 1).
  explicit Dropout2d(double p);

  LayerConfig config() const override;
  // The input shape, once checked to be [N, C, H, W] or [N, C, L].
  Shape output_shape(const Shape &input) const override;
  bool preserves_shape() const override { return true; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Applies the channel mask of the last forward pass.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  double p_;
  // 0 or 1 / (1 - p) per (sample, channel) of the last training forward; grown only.
  std::vector<float> mask_;
  bool mask_active_ = false;
};

}  // namespace nnstate
