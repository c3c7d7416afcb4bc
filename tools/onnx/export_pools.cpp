// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d (PyTorch's ceil_mode=False, as the library's).
#include "kind_exporters.h"

namespace nnstate_onnx {
namespace {

std::vector<int64_t> both(const std::array<int64_t, 2> &p) {
  return {p[0], p[1]};
}

// kernel_shape, strides and the symmetric pads (ONNX's order: top, left, bottom, right).
onnx::NodeProto &pool(NodeExport &e, const char *op) {
  onnx::NodeProto &n = e.graph.node(op, {e.inputs[0]}, {e.output});
  set_attribute(n, "kernel_shape", both(e.pair("kernel_size")));
  set_attribute(n, "strides", both(e.pair("stride")));
  const std::array<int64_t, 2> p = e.pair("padding");
  set_attribute(n, "pads", std::vector<int64_t>{p[0], p[1], p[0], p[1]});
  return n;
}

}  // namespace

// ONNX's MaxPool ignores padded cells, as PyTorch's -inf padding does.
void export_max_pool2d(NodeExport &e) {
  onnx::NodeProto &n = pool(e, "MaxPool");
  const std::array<int64_t, 2> dilation = e.pair("dilation");
  if (dilation[0] != 1 || dilation[1] != 1) set_attribute(n, "dilations", both(dilation));
}

// count_include_pad=true with padding: an explicit zero Pad, then an unpadded AveragePool. The
// same result by ONNX's definition, and OpenCV 4.6 ignores the count_include_pad attribute.
void export_avg_pool2d(NodeExport &e) {
  const std::array<int64_t, 2> p = e.pair("padding");
  const bool padded = p[0] != 0 || p[1] != 0;
  if (e.flag("count_include_pad") && padded) {
    const std::string zero_padded = e.temporary("padded");
    const std::vector<int64_t> pads = {0, 0, p[0], p[1], 0, 0, p[0], p[1]};  // begins, ends
    e.graph.node("Pad", {e.inputs[0], e.graph.int64s(e.temporary("pads"), pads)}, {zero_padded});
    onnx::NodeProto &n = e.graph.node("AveragePool", {zero_padded}, {e.output});
    set_attribute(n, "kernel_shape", both(e.pair("kernel_size")));
    set_attribute(n, "strides", both(e.pair("stride")));
    return;
  }
  set_attribute(pool(e, "AveragePool"), "count_include_pad", int64_t{0});
}

// PyTorch's windows are rows floor(i H / oh) .. ceil((i + 1) H / oh) - 1: equal, non-overlapping
// windows (an AveragePool) exactly when oh divides H (and ow divides W).
void export_adaptive_avg_pool2d(NodeExport &e) {
  const std::array<int64_t, 2> out = e.pair("output_size");
  const std::vector<int64_t> &in = e.input_shape(0);  // [C, H, W]
  if (out[0] == 1 && out[1] == 1) {
    e.graph.node("GlobalAveragePool", {e.inputs[0]}, {e.output});
    return;
  }
  if (in.size() != 3 || in[1] % out[0] != 0 || in[2] % out[1] != 0) {
    const std::string size =
        in.size() == 3 ? std::to_string(in[1]) + "x" + std::to_string(in[2]) : std::string("?");
    e.refuse("output_size " + std::to_string(out[0]) + "x" + std::to_string(out[1]) +
             " does not divide the input's " + size +
             ": PyTorch's windows then differ in size or overlap, which no ONNX pooling "
             "operator expresses");
  }
  const std::vector<int64_t> window = {in[1] / out[0], in[2] / out[1]};
  onnx::NodeProto &n = e.graph.node("AveragePool", {e.inputs[0]}, {e.output});
  set_attribute(n, "kernel_shape", window);
  set_attribute(n, "strides", window);
}

}  // namespace nnstate_onnx
