// Merge nodes of a graph network: they combine the outputs of two or more earlier nodes
// (residual sums, channel concatenation, gating products) and hold no tensors.
#pragma once

#include <vector>

#include "layers/layer.h"

namespace nnstate {

struct ConcatConfig {
  int32_t dim = -1;  // negative: from the end
  auto fields() const { return std::tie(dim); }
};

// A layer with two or more inputs. The graph calls the multi-input forms below; the
// single-input forms of Layer are refused.
class Merge : public Layer {
 public:
  // The output shape for the input shapes (batch first); throws Error naming the mismatch.
  virtual Shape merged_output_shape(const std::vector<Shape> &inputs) const = 0;
  // `output` has already been resized to merged_output_shape.
  virtual void forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) = 0;
  // Writes the gradient with respect to each input whose pointer is non-null (sized like it).
  virtual void backward_merged(const std::vector<const Tensor *> &inputs, const Tensor &grad_output,
                               const std::vector<Tensor *> &grad_inputs) = 0;

  Shape output_shape(const Shape &input) const final;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) final;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) final;
};

// Element-wise sum of inputs of equal shape (the residual connection, x + f(x)).
class Add final : public Merge {
 public:
  LayerConfig config() const override;
  Shape merged_output_shape(const std::vector<Shape> &inputs) const override;
  void forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) override;
  void backward_merged(const std::vector<const Tensor *> &inputs, const Tensor &grad_output,
                       const std::vector<Tensor *> &grad_inputs) override;
};

// Element-wise product of inputs of equal shape (gating).
class Multiply final : public Merge {
 public:
  LayerConfig config() const override;
  Shape merged_output_shape(const std::vector<Shape> &inputs) const override;
  void forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) override;
  void backward_merged(const std::vector<const Tensor *> &inputs, const Tensor &grad_output,
                       const std::vector<Tensor *> &grad_inputs) override;
};

// torch.cat along `dim` of the batched tensor (1: channels of [N, C, H, W] or features of
// [N, F]; negative counts from the end). Every other dimension must agree.
class Concat final : public Merge {
 public:
  explicit Concat(int32_t dim) : dim_(dim) {}
  LayerConfig config() const override;
  Shape merged_output_shape(const std::vector<Shape> &inputs) const override;
  void forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) override;
  void backward_merged(const std::vector<const Tensor *> &inputs, const Tensor &grad_output,
                       const std::vector<Tensor *> &grad_inputs) override;

 private:
  int32_t dim_;
};

// The shape rules of the merges, without building one (also used to check untrusted files).
Shape merged_shape(const LayerConfig &config, const std::vector<Shape> &inputs);

}  // namespace nnstate
