// Fully connected layer with PyTorch's layout (weight [out, in]) and default initialisation.
#pragma once

#include "layers/layer.h"
#include "layers/layer_state.h"

namespace nnstate {

struct LinearConfig {
  int64_t in_features = 0;
  int64_t out_features = 0;
  bool bias = true;
  auto fields() const { return std::tie(in_features, out_features, bias); }
};

class Linear final : public Layer {
 public:
  // Initialises like torch.nn.Linear: weight then bias, both U(-1/sqrt(in), 1/sqrt(in)),
  // drawn from `init_rng` (or left at zero when it is null).
  Linear(int64_t in_features, int64_t out_features, bool bias, Rng *init_rng);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  Shape required_sample_shape() const override { return Shape{in_features_}; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;
  void visit_tensors(const std::string &prefix, StateVisitor &visitor) override;
  // The tensors visit_tensors reports for a layer of `config` (which the constructor
  // accepts), without building it: shapes only (layers/layer_state.h).
  static void declare(const LinearConfig &config, const std::string &prefix, StateVisitor &visitor);

 private:
  // The one list of its tensors (layers/layer_state.h).
  static StateTensors<Linear> tensors(const LinearConfig &config);
  LinearConfig options() const;
  int64_t in_features_;
  int64_t out_features_;
  bool has_bias_;
  Tensor weight_, weight_grad_;
  Tensor bias_, bias_grad_;
};

}  // namespace nnstate
