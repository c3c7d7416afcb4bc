#include "layers/linear.h"

#include <cblas.h>

#include <climits>
#include <cmath>

#include "layers/layer_config.h"
#include "layers/layer_memory.h"
#include "random/rng.h"
#include "util/error.h"

namespace nnstate {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Rng *init_rng)
    : in_features_(in_features), out_features_(out_features), has_bias_(bias) {
  if (in_features <= 0 || out_features <= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "Linear needs positive sizes, got in_features " +
                                           std::to_string(in_features) + ", out_features " +
                                           std::to_string(out_features));
  }
  const std::string what =
      "Linear(" + std::to_string(in_features) + ", " + std::to_string(out_features) + ")";
  // BLAS takes 32-bit sizes.
  if (in_features > INT_MAX || out_features > INT_MAX) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         what + ": in_features and out_features must be at most " + std::to_string(INT_MAX));
  }
  const Shape weight_shape{out_features, in_features};
  check_layer_memory(what, {weight_shape, Shape{has_bias_ ? out_features : 0}},
                     2 * sizeof(float));  // values and gradients
  tensors(options()).allocate(*this);
  if (init_rng) {
    // kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(in_features)));
    for (int64_t i = 0; i < weight_.numel(); ++i) weight_[i] = init_rng->uniform(-bound, bound);
    for (int64_t i = 0; i < bias_.numel(); ++i) bias_[i] = init_rng->uniform(-bound, bound);
  }
}

LinearConfig Linear::options() const {
  LinearConfig c;
  c.in_features = in_features_;
  c.out_features = out_features_;
  c.bias = has_bias_;
  return c;
}

LayerConfig Linear::config() const {
  return LayerConfig(LayerKind::linear, options());
}

Shape Linear::output_shape(const Shape &input) const {
  if (input.rank != 2 || input[1] != in_features_) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         "Linear(" + std::to_string(in_features_) + ", " + std::to_string(out_features_) +
             ") expects input [N, " + std::to_string(in_features_) + "], got " + input.to_string());
  }
  return Shape{input[0], out_features_};
}

void Linear::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const int n = static_cast<int>(input.shape()[0]);
  const int in = static_cast<int>(in_features_), out = static_cast<int>(out_features_);
  float beta = 0.0f;
  if (has_bias_) {
    for (int r = 0; r < n; ++r) {
      float *row = output.data() + static_cast<int64_t>(r) * out;
      for (int j = 0; j < out; ++j) row[j] = bias_[j];
    }
    beta = 1.0f;
  }
  // Y[n, out] = X[n, in] * W^T + Y
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, input.data(), in,
              weight_.data(), in, beta, output.data(), out);
}

void Linear::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                      Tensor *grad_input) {
  const int n = static_cast<int>(input.shape()[0]);
  const int in = static_cast<int>(in_features_), out = static_cast<int>(out_features_);
  // dW[out, in] = dY^T[out, n] * X[n, in]
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, grad_output.data(), out,
              input.data(), in, 0.0f, weight_grad_.data(), in);
  if (has_bias_) {
    bias_grad_.zero();
    float *db = bias_grad_.data();
    for (int r = 0; r < n; ++r) {
      const float *row = grad_output.data() + static_cast<int64_t>(r) * out;
      for (int j = 0; j < out; ++j) db[j] += row[j];
    }
  }
  if (grad_input) {
    // dX[n, in] = dY[n, out] * W[out, in]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, grad_output.data(),
                out, weight_.data(), in, 0.0f, grad_input->data(), in);
  }
}

StateTensors<Linear> Linear::tensors(const LinearConfig &c) {
  StateTensors<Linear> t;
  t.add("weight", Shape{c.out_features, c.in_features}, &Linear::weight_, &Linear::weight_grad_);
  if (c.bias) t.add("bias", Shape{c.out_features}, &Linear::bias_, &Linear::bias_grad_);
  return t;
}

void Linear::visit_tensors(const std::string &prefix, StateVisitor &visitor) {
  tensors(options()).visit(*this, prefix, visitor);
}

void Linear::declare(const LinearConfig &config, const std::string &prefix, StateVisitor &visitor) {
  tensors(config).declare(prefix, visitor);
}

}  // namespace nnstate
