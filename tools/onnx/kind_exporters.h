// What each layer kind's exporter gets (the node, its input values, the value to produce, the
// graph to append to) and the exporters themselves, one function per kind or family.
#ifndef NNSTATE_ONNX_KIND_EXPORTERS_H
#define NNSTATE_ONNX_KIND_EXPORTERS_H

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "network_view.h"
#include "onnx_graph.h"

namespace nnstate_onnx {

// A network that cannot be exported faithfully; the message names the node and why.
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NodeExport {
  const NetworkView &network;
  OnnxGraph &graph;
  const NodeView &node;
  std::vector<std::string> inputs;  // the value names of the node's inputs, in order
  std::string output;               // the value name its output must get

  // A fresh value name for an intermediate result: "<prefix>/<what>".
  std::string temporary(const std::string &what) const;
  // The node's tensor "<prefix>.<suffix>" ("weight") as an initializer of the same name.
  std::string weight(const std::string &suffix) const;
  // The per-sample shape of input `i` (without the batch dimension).
  const std::vector<int64_t> &input_shape(size_t i) const;
  [[noreturn]] void refuse(const std::string &why) const;

  // Arguments of the node's description, with the names PyTorch gives them.
  int64_t integer(const char *field) const;
  double real(const char *field) const;
  bool flag(const char *field) const;
  std::string text(const char *field) const;
  std::array<int64_t, 2> pair(const char *field) const;  // an int n means [n, n]
};

// export_layers.cpp: the kinds with weights.
void export_linear(NodeExport &e);
void export_conv2d(NodeExport &e);
void export_batch_norm(NodeExport &e);
void export_layer_norm(NodeExport &e);
void export_embedding(NodeExport &e);
// export_shape_ops.cpp: activations, softmax, pass-through, flatten and the merges.
void export_activation(NodeExport &e);
void export_gelu(NodeExport &e);
void export_softmax(NodeExport &e);
void export_identity(NodeExport &e);
void export_flatten(NodeExport &e);
void export_merge(NodeExport &e);
// export_pools.cpp
void export_max_pool2d(NodeExport &e);
void export_avg_pool2d(NodeExport &e);
void export_adaptive_avg_pool2d(NodeExport &e);

}  // namespace nnstate_onnx

#endif
