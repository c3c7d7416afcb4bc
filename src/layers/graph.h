// A network: a directed acyclic graph of nodes, each a layer (one input) or a merge (two or more
// inputs), taking the network input or earlier nodes' outputs; the last node is the output.
// Nodes are named like PyTorch modules ("layer1.0.conv1"), or numbered by their index as in
// nn.Sequential ("0.weight") when unnamed. The activation and gradient workspaces of a
// mini-batch are kept between steps, so a step with an already-seen batch size allocates nothing.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "layers/layer.h"

namespace nnstate {

class Merge;

// Where a node sits in a graph: its name ("" when unnamed) and the nodes it takes.
struct NodeLinks {
  std::string name;
  std::vector<int32_t> inputs;  // earlier node indices, Graph::kNetworkInput for the input
  bool operator==(const NodeLinks &o) const { return name == o.name && inputs == o.inputs; }
};

class Graph {
 public:
  // The input index that stands for the network input.
  static constexpr int32_t kNetworkInput = -1;

  // Appends a node that takes the last node's output (the network input when there is none):
  // the stack API. Throws Error (with both shapes) when it cannot take that output.
  void add(std::unique_ptr<Layer> layer);
  // Appends a node taking `inputs` (earlier node indices or kNetworkInput: one for a layer, two
  // or more for a merge), named `name` ("" for its index); returns its index. Throws Error
  // naming the node on a bad input, a shape mismatch or an invalid or duplicate name.
  size_t add(std::unique_ptr<Layer> layer, const std::vector<int32_t> &inputs,
             const std::string &name);

  size_t size() const { return nodes_.size(); }
  Layer &layer(size_t index) { return *nodes_.at(index).layer; }
  const Layer &layer(size_t index) const { return *nodes_.at(index).layer; }
  const std::vector<int32_t> &inputs(size_t index) const { return nodes_.at(index).inputs; }
  // The node's name, "" when unnamed.
  const std::string &name(size_t index) const { return nodes_.at(index).name; }
  // The prefix of its tensor names without the dot: its name, or its index when unnamed.
  std::string key(size_t index) const;
  // The index of the node whose key is `key`, or -1.
  int64_t find(const std::string &key) const;
  // Shape of one sample of the node's output; throws while the input shape is unknown.
  Shape node_sample_output_shape(size_t index) const;

  // Shape of one input sample, rank 0 while no layer has fixed it.
  const Shape &sample_input_shape() const { return sample_input_shape_; }
  // Fixes the per-sample input shape before any node is added.
  void set_sample_input_shape(const Shape &shape);
  // Shape of one output sample; throws when the input shape is not known yet.
  Shape sample_output_shape() const;
  int64_t sample_input_size() const;
  int64_t sample_output_size() const;

  // Runs the network on `batch` > 0 samples (checked by the caller, Model) read in place from
  // `inputs` (batch * sample_input_size() floats, which must stay valid until backward()).
  const Tensor &forward(const float *inputs, int64_t batch, const RunContext &context);
  // The gradient of the loss with respect to the last forward's output: fill it, then backward.
  Tensor &output_grad();
  // Sets every parameter gradient from output_grad().
  void backward();

  // forward() and backward() node by node, for a caller that synchronises chunks of a batch
  // between nodes (parallel/chunked_network.h): begin_forward, then forward_node for every node
  // in order; begin_backward, then backward_node for every node in reverse order.
  void begin_forward(const float *inputs, int64_t batch);
  void forward_node(size_t index, int64_t batch, const RunContext &context);
  void begin_backward();
  void backward_node(size_t index);
  // The input of a node of one input, and the gradient of its output (complete once every later
  // node's backward_node has run), as of the last pass.
  const Tensor &node_input(size_t index) const { return value(nodes_.at(index).inputs[0]); }
  const Tensor &node_output_grad(size_t index) const { return gradients_.at(index); }
  // The last forward's output.
  const Tensor &output() const { return activations_.back(); }
  // Per-node modes for frozen parameters (train/frozen.h sets them): backward[i] == 0 skips node
  // i's backward and the gradient of its output (nothing before it trains); eval[i] != 0 runs
  // its forward in eval mode also while training. Empty vectors: every node as usual.
  void set_node_modes(std::vector<char> backward, std::vector<char> eval);

  // Reports every node's config, links and tensors, in order.
  void visit_state(StateVisitor &visitor);
  // Number of trainable scalars.
  int64_t parameter_count();

 private:
  struct Node {
    std::unique_ptr<Layer> layer;
    Merge *merge;  // the layer when it is a merge, else null
    std::vector<int32_t> inputs;
    std::string name;
    Shape sample_output;  // rank 0 while the input shape is unknown
    int32_t uses = 0;     // how many later node inputs take this node's output
  };

  std::string describe(size_t index) const;
  Shape sample_shape_of(int32_t source) const;
  Shape infer_sample_output(size_t index, const Node &node) const;
  void check_inputs(size_t index, const Node &node) const;
  void check_key(size_t index, const std::string &name) const;
  Shape fix_input_shape(size_t index, const Node &pending);
  void check_every_node_used() const;
  const Tensor &value(int32_t source) const;
  void gather_inputs(const Node &node);
  bool runs_backward(size_t index) const {
    return index >= backward_nodes_.size() || backward_nodes_[index];
  }

  std::vector<Node> nodes_;
  std::unordered_map<std::string, size_t> named_;  // the named nodes' indices
  bool uses_checked_ = false;  // check_every_node_used() passed since the last add
  Shape sample_input_shape_;
  Tensor input_;                     // a view of the caller's input batch
  std::vector<Tensor> activations_;  // [i]: the output of node i
  std::vector<Tensor> gradients_;    // [i]: d loss / d activations_[i]
  std::vector<Tensor> scratch_;      // one per input slot, where a gradient is added to another
  // Reused by every step, so that a step allocates nothing once sizes are known.
  std::vector<char> has_grad_;  // [i]: gradients_[i] has been written in this backward pass
  std::vector<Tensor *> slot_targets_;
  std::vector<const Tensor *> merge_inputs_;
  std::vector<char> backward_nodes_, eval_nodes_;  // set_node_modes(); empty: all as usual
};

// The links of a stack of `count` nodes: unnamed, each taking the previous one.
std::vector<NodeLinks> stack_links(size_t count);
// Whether node `index` takes only the node before it (the network input for node 0), as every
// node of a stack does; such inputs are left out of a checkpoint.
inline bool takes_previous(const NodeLinks &links, size_t index) {
  return links.inputs.size() == 1 && links.inputs[0] == static_cast<int32_t>(index) - 1;
}

// Checks a node name: dot-separated segments of letters, digits and '_', at most
// kMaxNodeNameLength bytes. Throws Error (INVALID_ARGUMENT) saying what is wrong.
constexpr size_t kMaxNodeNameLength = 128;
void check_node_name(const std::string &name);

}  // namespace nnstate
