// nn.LayerNorm: normalises each sample over its trailing dims `normalized_shape` with the
// biased variance, then applies an element-wise weight (1) and bias (0) of that shape.
#pragma once

#include <vector>

#include "layers/layer.h"
#include "layers/layer_state.h"

namespace nnstate {

struct LayerNormConfig {
  Shape normalized_shape;  // the trailing dims normalised over (rank 1..3)
  double eps = 1e-5;
  bool affine = true;  // PyTorch's elementwise_affine
  auto fields() const { return std::tie(normalized_shape, eps, affine); }
};

class LayerNorm final : public Layer {
 public:
  // normalized_shape has rank 1..3: the batch dim is never normalised over.
  explicit LayerNorm(const LayerNormConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  bool preserves_shape() const override { return true; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Uses the statistics of the last forward pass.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;
  void visit_tensors(const std::string &prefix, StateVisitor &visitor) override;
  // The tensors visit_tensors reports for a layer of `config` (which the constructor
  // accepts), without building it: shapes only (layers/layer_state.h).
  static void declare(const LayerNormConfig &config, const std::string &prefix,
                      StateVisitor &visitor);

 private:
  // The one list of its tensors (layers/layer_state.h).
  static StateTensors<LayerNorm> tensors(const LayerNormConfig &config);
  LayerNormConfig options() const;
  std::string describe() const;

  Shape normalized_shape_;
  double eps_;
  bool affine_;
  int64_t size_;  // elements normalised together
  Tensor weight_, weight_grad_;
  Tensor bias_, bias_grad_;
  // Mean and 1 / sqrt(var + eps) of each normalised row of the last forward pass; grown only
  // for larger batches.
  std::vector<float> mean_, rstd_;
  // Parameter gradient accumulators over rows, sized once.
  std::vector<double> weight_acc_, bias_acc_;
  std::vector<float> g_;  // dy * weight of one row
};

}  // namespace nnstate
