// The kinds with weights: Linear, Conv2d, BatchNorm1d/2d, LayerNorm, Embedding.
#include <cmath>

#include "kind_exporters.h"

namespace nnstate_onnx {
namespace {

// PyTorch's padding="same": the total dilation * (kernel - 1), the odd one at the end.
std::array<int64_t, 2> same_padding(int64_t kernel, int64_t dilation) {
  const int64_t total = dilation * (kernel - 1);
  return {total / 2, total - total / 2};
}

}  // namespace

// y = x W^T + b: Gemm with transB, as torch.onnx exports nn.Linear.
void export_linear(NodeExport &e) {
  std::vector<std::string> inputs = {e.inputs[0], e.weight("weight")};
  if (e.flag("bias")) inputs.push_back(e.weight("bias"));
  set_attribute(e.graph.node("Gemm", inputs, {e.output}), "transB", int64_t{1});
}

void export_conv2d(NodeExport &e) {
  const std::array<int64_t, 2> kernel = e.pair("kernel_size"), dilation = e.pair("dilation");
  std::vector<int64_t> pads;  // ONNX's order: top, left, bottom, right
  if (e.node.arguments.at("padding") == "same") {
    const std::array<int64_t, 2> h = same_padding(kernel[0], dilation[0]),
                                 w = same_padding(kernel[1], dilation[1]);
    pads = {h[0], w[0], h[1], w[1]};
  } else {
    const std::array<int64_t, 2> p = e.pair("padding");
    pads = {p[0], p[1], p[0], p[1]};
  }
  std::vector<std::string> inputs = {e.inputs[0], e.weight("weight")};
  if (e.flag("bias")) inputs.push_back(e.weight("bias"));
  onnx::NodeProto &conv = e.graph.node("Conv", inputs, {e.output});
  set_attribute(conv, "kernel_shape", std::vector<int64_t>(kernel.begin(), kernel.end()));
  const std::array<int64_t, 2> stride = e.pair("stride");
  set_attribute(conv, "strides", std::vector<int64_t>(stride.begin(), stride.end()));
  set_attribute(conv, "pads", pads);
  set_attribute(conv, "dilations", std::vector<int64_t>(dilation.begin(), dilation.end()));
  set_attribute(conv, "group", e.integer("groups"));
}

// Eval mode: normalised with the running statistics, which BatchNormalization takes as inputs.
void export_batch_norm(NodeExport &e) {
  if (!e.flag("track_running_stats")) {
    e.refuse(
        "track_running_stats=false normalises with each batch's own statistics even in eval "
        "mode; ONNX's BatchNormalization takes fixed statistics");
  }
  const int64_t channels = e.integer("num_features");
  std::string scale, bias;
  if (e.flag("affine")) {
    scale = e.weight("weight");
    bias = e.weight("bias");
  } else {
    scale = e.graph.floats(e.temporary("scale"), {channels},
                           std::vector<float>(static_cast<size_t>(channels), 1.0f));
    bias = e.graph.floats(e.temporary("bias"), {channels},
                          std::vector<float>(static_cast<size_t>(channels), 0.0f));
  }
  onnx::NodeProto &bn = e.graph.node(
      "BatchNormalization",
      {e.inputs[0], scale, bias, e.weight("running_mean"), e.weight("running_var")}, {e.output});
  set_attribute(bn, "epsilon", static_cast<float>(e.real("eps")));
}

// Opset 13 has no LayerNormalization (17 has): (x - mean) / sqrt(biased var + eps) composed
// on rows of the K normalised values, [M, K] with M = batch * leading dims. The means are
// MatMuls with a column of 1/K, spread back over the row by a MatMul with a row of ones, so that
// no operator broadcasts one computed tensor against another and nothing reduces over chosen
// axes: OpenCV 4.6's importer can do neither (ReduceMean followed by Sub fails there).
void export_layer_norm(NodeExport &e) {
  const nlohmann::json &normalized_shape = e.node.arguments.at("normalized_shape");
  int64_t k = 1;
  for (const nlohmann::json &d : normalized_shape) k *= d.get<int64_t>();  // the layer's dims
  const size_t ku = static_cast<size_t>(k);
  const std::string average = e.graph.floats(e.temporary("average"), {k, 1},
                                             std::vector<float>(ku, 1.0f / static_cast<float>(k)));
  const std::string spread =
      e.graph.floats(e.temporary("spread"), {1, k}, std::vector<float>(ku, 1.0f));
  const auto row_mean = [&](const std::string &rows, const std::string &what) {
    const std::string mean = e.temporary(what), spread_mean = e.temporary(what + "_rows");
    e.graph.node("MatMul", {rows, average}, {mean});
    e.graph.node("MatMul", {mean, spread}, {spread_mean});
    return spread_mean;
  };
  const std::string rows = e.temporary("rows"), centred = e.temporary("centred"),
                    square = e.temporary("square"), shifted = e.temporary("variance_eps"),
                    deviation = e.temporary("deviation"), normalised = e.temporary("normalised");
  e.graph.node("Reshape", {e.inputs[0], e.graph.int64s(e.temporary("rows_shape"), {-1, k})},
               {rows});
  e.graph.node("Sub", {rows, row_mean(rows, "mean")}, {centred});
  e.graph.node("Mul", {centred, centred}, {square});
  const std::string eps = e.graph.scalar(e.temporary("eps"), static_cast<float>(e.real("eps")));
  e.graph.node("Add", {row_mean(square, "variance"), eps}, {shifted});
  e.graph.node("Sqrt", {shifted}, {deviation});
  e.graph.node("Div", {centred, deviation}, {normalised});
  std::string result = normalised;
  if (e.flag("elementwise_affine")) {  // weight and bias as K-vectors along the rows
    const std::string scaled = e.temporary("scaled"), shifted_rows = e.temporary("affine");
    const std::string prefix = e.node.tensor_prefix();
    const std::string weight =
        e.graph.floats(prefix + ".weight", {k}, e.network.tensor(prefix + ".weight").values);
    const std::string bias =
        e.graph.floats(prefix + ".bias", {k}, e.network.tensor(prefix + ".bias").values);
    e.graph.node("Mul", {normalised, weight}, {scaled});
    e.graph.node("Add", {scaled, bias}, {shifted_rows});
    result = shifted_rows;
  }
  std::vector<int64_t> shape = {-1};
  shape.insert(shape.end(), e.node.output_shape.begin(), e.node.output_shape.end());
  e.graph.node("Reshape", {result, e.graph.int64s(e.temporary("shape"), shape)}, {e.output});
}

// The indices arrive as floats (the library checked they are whole and in range): Cast, Gather.
void export_embedding(NodeExport &e) {
  const std::string indices = e.temporary("indices");
  set_attribute(e.graph.node("Cast", {e.inputs[0]}, {indices}), "to",
                int64_t{onnx::TensorProto_DataType_INT64});
  set_attribute(e.graph.node("Gather", {e.weight("weight"), indices}, {e.output}), "axis",
                int64_t{0});
}

}  // namespace nnstate_onnx
