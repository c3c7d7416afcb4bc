// nn.BatchNorm1d ([N, C] or [N, C, L]) and nn.BatchNorm2d ([N, C, H, W]). Training normalises
// with the batch mean and biased variance and updates the running statistics with the
// unbiased variance: running = (1 - momentum) running + momentum batch. Evaluation uses the
// running statistics, unless track_running_stats is off (then always the batch's).
#pragma once

#include <vector>

#include "layers/layer.h"
#include "layers/layer_state.h"

namespace nnstate {

// BatchNorm1d's and BatchNorm2d's options.
struct BatchNormConfig {
  int64_t num_features = 0;  // channels C
  double eps = 1e-5;
  double momentum = 0.1;  // running = (1 - momentum) running + momentum batch
  bool affine = true;
  bool track_running_stats = true;
  auto fields() const { return std::tie(num_features, eps, momentum, affine, track_running_stats); }
};

class BatchNorm final : public Layer {
 public:
  // `kind`: batch_norm1d or batch_norm2d. weight = 1, bias = 0, running_mean = 0,
  // running_var = 1.
  BatchNorm(LayerKind kind, const BatchNormConfig &config);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  bool preserves_shape() const override { return true; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Differentiates the statistics the last forward pass used (batch or running).
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;
  void visit_tensors(const std::string &prefix, StateVisitor &visitor) override;
  // The tensors visit_tensors reports for a layer of `config` (which the constructor
  // accepts), without building it: shapes only (layers/layer_state.h).
  static void declare(const BatchNormConfig &config, const std::string &prefix,
                      StateVisitor &visitor);

  // Chunked training with the statistics of the whole global batch (parallel/): the caller
  // collects every chunk's moments, reduces them in a fixed order and gives each chunk's layer
  // the result before its forward pass (and likewise before its backward pass).
  bool uses_batch_stats(bool training) const { return training || !config_.track_running_stats; }
  // Per channel of one chunk's input: its mean and sum of squared deviations from it.
  void chunk_moments(const Tensor &input, double *mean, double *m2) const;
  // The next forward normalises with these (the global batch's mean and biased variance; the
  // arrays stay the caller's) and leaves the running statistics alone.
  void set_batch_moments(const double *mean, const double *var);
  // The running statistics' update by the global batch's statistics over `count` values.
  void update_running_stats(const double *mean, const double *var, int64_t count);
  // Per channel of one chunk: sum dy and sum dy (x - mean), the mean of its last forward.
  void chunk_grad_moments(const Tensor &input, const Tensor &grad_output, double *sum, double *dot);
  // The next backward keeps the chunk's moments for the parameter gradients (they add up over
  // the chunks) and takes these global ones over `count` values for the input gradient.
  void set_batch_grad_moments(const double *sum, const double *dot, int64_t count);

 private:
  // The one list of its tensors (layers/layer_state.h).
  static StateTensors<BatchNorm> tensors(const BatchNormConfig &config);
  std::string describe() const;

  LayerKind kind_;
  BatchNormConfig config_;
  Tensor weight_, weight_grad_;
  Tensor bias_, bias_grad_;
  Tensor running_mean_, running_var_;
  // PyTorch keeps an int64; we store float32 only, exact up to 2^24 (16.7 million) batches,
  // after which increments are lost. Nothing here reads it (no cumulative-average momentum).
  Tensor num_batches_tracked_;
  // Per channel, sized once: the mean and 1 / sqrt(var + eps) of the last forward pass, the
  // coefficients of the element-wise pass (forward: y = a (x - mean) + d; backward:
  // dx = a dy + b (x - mean) + d), and double accumulators.
  std::vector<float> mean_, invstd_, a_, b_, d_;
  std::vector<double> sum_, sum2_;
  std::vector<double> plane_sums_;  // per (sample, channel) plane: its two sums, in parallel
  bool used_batch_stats_ = false;
  // Set by set_batch_moments / set_batch_grad_moments for the next pass only.
  const double *global_mean_ = nullptr, *global_var_ = nullptr;
  const double *global_sum_ = nullptr, *global_dot_ = nullptr;
  int64_t global_count_ = 0;
  void grad_moments(const float *x, const float *dy, int64_t n, int64_t spatial);
};

}  // namespace nnstate
