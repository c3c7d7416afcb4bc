// A chain of layers with PyTorch nn.Sequential naming ("0.weight", "2.bias") and the
// activation/gradient workspaces of a mini-batch, kept between steps so that a step with an
// already-seen batch size allocates nothing.
#pragma once

#include <memory>
#include <vector>

#include "layers/layer.h"

namespace nnstate {

class Sequential {
 public:
  // Appends a layer; throws Error (with both shapes) when it cannot take the previous output.
  void add(std::unique_ptr<Layer> layer);
  size_t size() const { return layers_.size(); }
  Layer &layer(size_t index) { return *layers_.at(index); }
  const Layer &layer(size_t index) const { return *layers_.at(index); }

  // Shape of one input sample, rank 0 while no layer has fixed it.
  const Shape &sample_input_shape() const { return sample_input_shape_; }
  // Fixes the per-sample input shape before any layer that defines it is added.
  void set_sample_input_shape(const Shape &shape);
  // Shape of one output sample; throws when the input shape is not known yet.
  Shape sample_output_shape() const;
  int64_t sample_input_size() const;
  int64_t sample_output_size() const;

  // Copies `batch` samples (batch * sample_input_size() floats) and runs the network.
  const Tensor &forward(const float *inputs, int64_t batch, const RunContext &context);
  // The gradient of the loss with respect to the last forward's output: fill it, then backward.
  Tensor &output_grad();
  // Sets every parameter gradient from output_grad().
  void backward();

  // Reports every layer's config and tensors, in order.
  void visit_state(StateVisitor &visitor);
  // Number of trainable scalars.
  int64_t parameter_count();

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  Shape sample_input_shape_;
  Shape sample_output_shape_;        // kept as layers are added, so that adding n layers is O(n)
  std::vector<Tensor> activations_;  // [0] is the input, [i + 1] the output of layer i
  std::vector<Tensor> gradients_;    // gradients_[i] is d loss / d activations_[i]
};

}  // namespace nnstate
