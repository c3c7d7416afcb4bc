// Kinds without weights: activations, GELU, Softmax/LogSoftmax, the pass-through kinds
// (Identity and, in eval mode, Dropout/Dropout2d), Flatten and the merges Add/Concat/Multiply.
#include <cmath>

#include "kind_exporters.h"

namespace nnstate_onnx {

void export_activation(NodeExport &e) {
  if (e.node.kind == "LeakyReLU") {
    onnx::NodeProto &n = e.graph.node("LeakyRelu", {e.inputs[0]}, {e.output});
    set_attribute(n, "alpha", static_cast<float>(e.real("negative_slope")));
    return;
  }
  const std::string op = e.node.kind == "ReLU" ? "Relu" : e.node.kind;  // Sigmoid, Tanh
  e.graph.node(op, {e.inputs[0]}, {e.output});
}

// Opset 13 has no Gelu (20 has): 0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as PyTorch computes them.
void export_gelu(NodeExport &e) {
  const std::string &x = e.inputs[0];
  const std::string inner = e.temporary("inner"), squashed = e.temporary("squashed");
  if (e.text("approximate") == "tanh") {
    const std::string square = e.temporary("square"), cube = e.temporary("cube"),
                      scaled_cube = e.temporary("scaled_cube"), sum = e.temporary("sum");
    e.graph.node("Mul", {x, x}, {square});
    e.graph.node("Mul", {square, x}, {cube});
    e.graph.node("Mul", {cube, e.graph.scalar(e.temporary("c"), 0.044715f)}, {scaled_cube});
    e.graph.node("Add", {x, scaled_cube}, {sum});
    const float sqrt_2_over_pi = static_cast<float>(std::sqrt(2.0 / M_PI));
    e.graph.node("Mul", {sum, e.graph.scalar(e.temporary("sqrt_2_over_pi"), sqrt_2_over_pi)},
                 {inner});
    e.graph.node("Tanh", {inner}, {squashed});
  } else {
    const float inv_sqrt2 = static_cast<float>(1.0 / std::sqrt(2.0));
    e.graph.node("Mul", {x, e.graph.scalar(e.temporary("inv_sqrt2"), inv_sqrt2)}, {inner});
    e.graph.node("Erf", {inner}, {squashed});
  }
  const std::string one_plus = e.temporary("one_plus"), half_x = e.temporary("half_x");
  e.graph.node("Add", {squashed, e.graph.scalar(e.temporary("one"), 1.0f)}, {one_plus});
  e.graph.node("Mul", {x, e.graph.scalar(e.temporary("half"), 0.5f)}, {half_x});
  e.graph.node("Mul", {half_x, one_plus}, {e.output});
}

// Opset 13's Softmax takes one axis, as torch's dim (counting the batch dimension).
void export_softmax(NodeExport &e) {
  const int64_t rank = static_cast<int64_t>(e.input_shape(0).size()) + 1;
  const int64_t dim = e.integer("dim");
  const char *op = e.node.kind == "LogSoftmax" ? "LogSoftmax" : "Softmax";
  set_attribute(e.graph.node(op, {e.inputs[0]}, {e.output}), "axis", dim < 0 ? dim + rank : dim);
}

// Identity, and Dropout/Dropout2d, which are the identity in eval mode.
void export_identity(NodeExport &e) {
  e.graph.node("Identity", {e.inputs[0]}, {e.output});
}

// torch.nn.Flatten(start_dim, end_dim): ONNX's Flatten for the default (1, -1), else a Reshape
// to the output shape with the batch dimension inferred.
void export_flatten(NodeExport &e) {
  const int64_t rank = static_cast<int64_t>(e.input_shape(0).size()) + 1;
  const int64_t start = e.integer("start_dim"), end = e.integer("end_dim");
  if ((start < 0 ? start + rank : start) == 1 && (end < 0 ? end + rank : end) == rank - 1) {
    set_attribute(e.graph.node("Flatten", {e.inputs[0]}, {e.output}), "axis", int64_t{1});
    return;
  }
  std::vector<int64_t> shape = {-1};
  shape.insert(shape.end(), e.node.output_shape.begin(), e.node.output_shape.end());
  e.graph.node("Reshape", {e.inputs[0], e.graph.int64s(e.temporary("shape"), shape)}, {e.output});
}

// Add and Multiply of two or more inputs as a chain of binary operators (the inputs have equal
// shapes, so nothing broadcasts); Concat along its dim (counting the batch dimension).
void export_merge(NodeExport &e) {
  if (e.node.kind == "Concat") {
    const int64_t rank = static_cast<int64_t>(e.input_shape(0).size()) + 1;
    const int64_t dim = e.integer("dim");
    set_attribute(e.graph.node("Concat", e.inputs, {e.output}), "axis", dim < 0 ? dim + rank : dim);
    return;
  }
  const std::string op = e.node.kind == "Add" ? "Add" : "Mul";
  std::string partial = e.inputs[0];
  for (size_t i = 1; i < e.inputs.size(); ++i) {
    const std::string result =
        i + 1 == e.inputs.size() ? e.output : e.temporary("partial" + std::to_string(i));
    e.graph.node(op, {partial, e.inputs[i]}, {result});
    partial = result;
  }
}

}  // namespace nnstate_onnx
