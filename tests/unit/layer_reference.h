// Layer values recorded from PyTorch (reference/make_layer_refs.py writes reference/layer_refs.h)
// and the check of a layer against one: same parameters and input, then the output and the
// gradients of sum(output * g) must match to float32 rounding.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "test_layers_util.h"

namespace nnstate::testing {

struct ReferenceParameter {
  std::string name;  // as in named_parameters(): "weight", "bias"
  Shape shape;
  std::vector<float> value, grad;
};

struct LayerReference {
  std::string module;  // the PyTorch module as constructed
  Shape input_shape;
  std::vector<float> input;
  std::vector<ReferenceParameter> parameters;
  Shape output_shape;
  std::vector<float> output, grad_output, grad_input;
};

inline Tensor tensor_of(const Shape &shape, const std::vector<float> &values) {
  Tensor t(shape);
  REQUIRE(static_cast<size_t>(t.numel()) == values.size());
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = values[static_cast<size_t>(i)];
  return t;
}

// PyTorch sums in float in its own order, this library often in double: 1e-5 relative, plus
// an absolute term for results that cancel to near zero.
inline void check_close(const Tensor &actual, const std::vector<float> &expected,
                        const char *what) {
  REQUIRE(static_cast<size_t>(actual.numel()) == expected.size());
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const float e = expected[static_cast<size_t>(i)];
    INFO(what << "[" << i << "]: got " << actual[i] << ", PyTorch " << e);
    CHECK(std::fabs(actual[i] - e) <= 1e-5f * std::fabs(e) + 2e-6f);
  }
}

// Loads the reference's parameters into `layer` (which must have exactly those), runs forward
// and backward, and compares output, input gradient and parameter gradients. When
// `check_grad_input` is false the input gradient is not compared (e.g. indices).
inline void check_against_reference(Layer &layer, const LayerReference &ref,
                                    bool check_grad_input = true) {
  INFO(ref.module);
  TensorCollector state;
  layer.visit_tensors("", state);
  REQUIRE(state.names.size() == ref.parameters.size());
  for (const ReferenceParameter &p : ref.parameters) {
    Tensor *value = state.find(p.name);
    REQUIRE(value != nullptr);
    REQUIRE(value->shape() == p.shape);
    *value = tensor_of(p.shape, p.value);
  }
  const Tensor x = tensor_of(ref.input_shape, ref.input);
  REQUIRE(layer.output_shape(x.shape()) == ref.output_shape);
  Tensor y(ref.output_shape);
  layer.forward(x, y, RunContext{});
  check_close(y, ref.output, "output");
  const Tensor g = tensor_of(ref.output_shape, ref.grad_output);
  Tensor dx(x.shape());
  layer.backward(x, y, g, &dx);
  if (check_grad_input) check_close(dx, ref.grad_input, "grad_input");
  for (const ReferenceParameter &p : ref.parameters) {
    for (size_t i = 0; i < state.names.size(); ++i) {
      if (state.names[i] == p.name) check_close(*state.grads[i], p.grad, p.name.c_str());
    }
  }
}

}  // namespace nnstate::testing
