#include "onnx_export.h"

#include <climits>
#include <map>
#include <stdexcept>

#include "atomic_file.h"
#include "kind_exporters.h"
#include "network_view.h"
#include "onnx_graph.h"

namespace nnstate_onnx {
namespace {

using Exporter = void (*)(NodeExport &);

// Every kind that has an ONNX form. A kind missing here is refused by name.
const std::map<std::string, Exporter> &exporters() {
  static const std::map<std::string, Exporter> table = {
      {"Linear", export_linear},
      {"Conv2d", export_conv2d},
      {"BatchNorm1d", export_batch_norm},
      {"BatchNorm2d", export_batch_norm},
      {"LayerNorm", export_layer_norm},
      {"Embedding", export_embedding},
      {"ReLU", export_activation},
      {"LeakyReLU", export_activation},
      {"Sigmoid", export_activation},
      {"Tanh", export_activation},
      {"GELU", export_gelu},
      {"Softmax", export_softmax},
      {"LogSoftmax", export_softmax},
      {"Identity", export_identity},
      {"Dropout", export_identity},
      {"Dropout2d", export_identity},
      {"Flatten", export_flatten},
      {"MaxPool2d", export_max_pool2d},
      {"AvgPool2d", export_avg_pool2d},
      {"AdaptiveAvgPool2d", export_adaptive_avg_pool2d},
      {"Add", export_merge},
      {"Concat", export_merge},
      {"Multiply", export_merge},
  };
  return table;
}

// A float tensor value of shape [batch, dims...] with a symbolic batch dimension.
void describe_value(onnx::ValueInfoProto &value, const std::string &name,
                    const std::vector<int64_t> &dims) {
  value.set_name(name);
  onnx::TypeProto_Tensor &type = *value.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto_DataType_FLOAT);
  onnx::TensorShapeProto &shape = *type.mutable_shape();
  shape.add_dim()->set_dim_param("batch");
  for (int64_t d : dims) shape.add_dim()->set_dim_value(d);
}

void build_graph(const NetworkView &network, onnx::GraphProto &proto) {
  OnnxGraph graph(&proto);
  const std::string input = graph.fresh("input"), output = graph.fresh("output");
  std::vector<std::string> values;  // the value name of each node's output
  const std::vector<NodeView> &nodes = network.nodes();
  if (nodes.empty()) throw ExportError("cannot export a network without nodes to ONNX");
  for (const NodeView &node : nodes) {
    const auto exporter = exporters().find(node.kind);
    if (exporter == exporters().end()) {
      throw ExportError("cannot export " + node.label() + " to ONNX: the kind has no ONNX mapping");
    }
    NodeExport e{network, graph, node, {}, ""};
    for (int64_t i : node.inputs) {
      if (i != kNetworkInput && (i < 0 || i >= node.index)) {
        throw ExportError(node.label() + ": input " + std::to_string(i) +
                          " is not an earlier node");
      }
      e.inputs.push_back(i == kNetworkInput ? input : values[static_cast<size_t>(i)]);
    }
    const bool last = node.index + 1 == static_cast<int64_t>(nodes.size());
    e.output = last ? output : graph.fresh(node.tensor_prefix());
    exporter->second(e);
    values.push_back(e.output);
  }
  describe_value(*proto.add_input(), input, network.input_shape());
  describe_value(*proto.add_output(), output, nodes.back().output_shape);
}

}  // namespace

std::string export_onnx(const nnstate::Network &network) {
  const NetworkView view(network);
  onnx::ModelProto model;
  model.set_ir_version(7);  // the IR version of opset 13 (ONNX 1.8)
  model.set_producer_name("libnnstate");
  model.set_producer_version(nnstate_version_string());
  model.set_doc_string(
      "Eval mode: BatchNorm uses its running statistics, Dropout is the identity.");
  onnx::OperatorSetIdProto &opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOpsetVersion);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name("nnstate");
  build_graph(view, graph);
  // Protobuf cannot serialize a message of 2 GiB or more.
  if (model.ByteSizeLong() > static_cast<size_t>(INT_MAX)) {
    throw ExportError("cannot export to ONNX: the model needs " +
                      std::to_string(model.ByteSizeLong()) +
                      " bytes, over protobuf's limit of 2 GiB");
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw ExportError("cannot serialize the ONNX model");
  return bytes;
}

void export_onnx_file(const nnstate::Network &network, const std::string &path) {
  write_file_atomically(path, export_onnx(network));
}

}  // namespace nnstate_onnx
