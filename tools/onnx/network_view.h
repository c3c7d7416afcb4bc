// A network as the ONNX exporter sees it, read through the public API only: each node's kind,
// module name, inputs (resolved to indices) and arguments from the JSON document, its output
// shape from nnstate_network_node_info, and the weights by their PyTorch names.
#ifndef NNSTATE_ONNX_NETWORK_VIEW_H
#define NNSTATE_ONNX_NETWORK_VIEW_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <nnstate/nnstate.hpp>

namespace nnstate_onnx {

// The network input, as a node's input index (the document's -1).
constexpr int64_t kNetworkInput = -1;

struct NodeView {
  int64_t index = 0;
  std::string kind;                   // PyTorch's class name: "Conv2d"
  std::string name;                   // the module name, "" when unnamed
  std::vector<int64_t> inputs;        // earlier node indices or kNetworkInput
  nlohmann::json arguments;           // the node's description, every argument written out
  std::vector<int64_t> output_shape;  // one sample, without the batch dimension

  // The prefix of its tensors' names: "layer1.0.conv1" or, unnamed, "3".
  std::string tensor_prefix() const;
  // How messages name it: node 3 "bn1" (BatchNorm2d).
  std::string label() const;
};

struct TensorView {
  std::vector<int64_t> dims;
  std::vector<float> values;
};

class NetworkView {
 public:
  explicit NetworkView(const nnstate::Network &network);

  const std::vector<int64_t> &input_shape() const { return input_shape_; }
  const std::vector<NodeView> &nodes() const { return nodes_; }
  // The per-sample shape of a node's output, or of the network input for kNetworkInput.
  const std::vector<int64_t> &shape_of(int64_t index) const;
  bool has_tensor(const std::string &name) const { return tensor_dims_.count(name) != 0; }
  // A tensor's shape and values; throws std::runtime_error naming it when it does not exist.
  TensorView tensor(const std::string &name) const;

 private:
  const nnstate::Network &network_;
  std::vector<int64_t> input_shape_;
  std::vector<NodeView> nodes_;
  std::map<std::string, std::vector<int64_t>> tensor_dims_;
};

}  // namespace nnstate_onnx

#endif
