// Element-wise activations with PyTorch's forward and backward definitions.
#pragma once

#include "layers/layer.h"

namespace nnstate {

struct LeakyReLUConfig {
  float negative_slope = 0.01f;
  auto fields() const { return std::tie(negative_slope); }
};

struct GELUConfig {
  bool tanh_approximation = false;  // instead of the exact erf form
  auto fields() const { return std::tie(tanh_approximation); }
};

// Shape-preserving layer applied element by element; subclasses give the two formulas.
class Activation : public Layer {
 public:
  Shape output_shape(const Shape &input) const override { return input; }
  bool preserves_shape() const override { return true; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 protected:
  virtual void apply(const float *x, float *y, int64_t n) const = 0;
  // dx = dy * f'(x), given x and y = f(x).
  virtual void apply_gradient(const float *x, const float *y, const float *dy, float *dx,
                              int64_t n) const = 0;
};

class ReLU final : public Activation {
 public:
  LayerConfig config() const override;

 protected:
  void apply(const float *x, float *y, int64_t n) const override;
  void apply_gradient(const float *x, const float *y, const float *dy, float *dx,
                      int64_t n) const override;
};

class LeakyReLU final : public Activation {
 public:
  explicit LeakyReLU(float negative_slope) : negative_slope_(negative_slope) {}
  LayerConfig config() const override;

 protected:
  void apply(const float *x, float *y, int64_t n) const override;
  void apply_gradient(const float *x, const float *y, const float *dy, float *dx,
                      int64_t n) const override;

 private:
  float negative_slope_;
};

class Tanh final : public Activation {
 public:
  LayerConfig config() const override;

 protected:
  void apply(const float *x, float *y, int64_t n) const override;
  void apply_gradient(const float *x, const float *y, const float *dy, float *dx,
                      int64_t n) const override;
};

class Sigmoid final : public Activation {
 public:
  LayerConfig config() const override;

 protected:
  void apply(const float *x, float *y, int64_t n) const override;
  void apply_gradient(const float *x, const float *y, const float *dy, float *dx,
                      int64_t n) const override;
};

// GELU: exact x * Phi(x) (PyTorch approximate='none') or the tanh approximation.
class GELU final : public Activation {
 public:
  explicit GELU(bool tanh_approximation) : tanh_approximation_(tanh_approximation) {}
  LayerConfig config() const override;

 protected:
  void apply(const float *x, float *y, int64_t n) const override;
  void apply_gradient(const float *x, const float *y, const float *dy, float *dx,
                      int64_t n) const override;

 private:
  bool tanh_approximation_;
};

}  // namespace nnstate
