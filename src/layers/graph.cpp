#include "layers/graph.h"

#include <climits>

#include "layers/layer_config.h"
#include "layers/merge.h"
#include "util/error.h"

namespace nnstate {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::vector<NodeLinks> stack_links(size_t count) {
  std::vector<NodeLinks> links(count);
  for (size_t i = 0; i < count; ++i) links[i].inputs = {static_cast<int32_t>(i) - 1};
  return links;
}

void check_node_name(const std::string &name) {
  if (name.size() > kMaxNodeNameLength) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "node name \"" + name.substr(0, 32) + "...\" has " +
                                           std::to_string(name.size()) + " bytes, more than " +
                                           std::to_string(kMaxNodeNameLength));
  }
  bool segment_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_empty) break;
      segment_empty = true;
    } else if (is_name_char(c)) {
      segment_empty = false;
    } else {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           "node name \"" + name +
               "\" has a character other than letters, digits, '_' and '.' (as in a PyTorch "
               "module path such as layer1.0.conv1)");
    }
  }
  if (segment_empty) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "node name \"" + name +
                                           "\" has an empty segment (it is empty, or starts, "
                                           "ends or has two dots in a row)");
  }
}

std::string Graph::key(size_t index) const {
  const std::string &n = nodes_.at(index).name;
  return n.empty() ? std::to_string(index) : n;
}

// A key is a named node's name or an unnamed node's decimal index: names are looked up in
// named_, indices by value (so a stack of n nodes costs no map entries and adding is O(1)).
int64_t Graph::find(const std::string &wanted) const {
  const auto it = named_.find(wanted);
  if (it != named_.end()) return static_cast<int64_t>(it->second);
  if (wanted.empty() || wanted.size() > 10 ||
      wanted.find_first_not_of("0123456789") != wanted.npos) {
    return -1;
  }
  const uint64_t index = std::stoull(wanted);
  if (index >= nodes_.size() || std::to_string(index) != wanted) return -1;  // "01" is no index
  return nodes_[index].name.empty() ? static_cast<int64_t>(index) : -1;
}

std::string Graph::describe(size_t index) const {
  std::string text = "layer " + std::to_string(index);
  if (index < nodes_.size()) {
    const Node &node = nodes_[index];
    if (!node.name.empty()) text += " \"" + node.name + "\"";
    text += std::string(" (") + layer_kind_name(node.layer->config().kind()) + ")";
  }
  return text;
}

void Graph::set_sample_input_shape(const Shape &shape) {
  if (!nodes_.empty()) {
    fail(NNSTATE_ERR_STATE, "the input shape must be set before the first layer is added");
  }
  if (shape.rank == 0 || shape.numel() <= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "invalid input shape " + shape.to_string());
  }
  shape.batched(1);  // validates the rank
  sample_input_shape_ = shape;
}

Shape Graph::sample_shape_of(int32_t source) const {
  return source == kNetworkInput ? sample_input_shape_ : nodes_[source].sample_output;
}

void Graph::check_key(size_t index, const std::string &name) const {
  if (!name.empty()) check_node_name(name);
  const std::string wanted = name.empty() ? std::to_string(index) : name;
  const int64_t clash = find(wanted);
  if (clash >= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "layer " + std::to_string(index) + " cannot be named \"" +
                                           wanted + "\": " + describe(clash) +
                                           " already has that name");
  }
}

void Graph::check_inputs(size_t index, const Node &node) const {
  const bool merge = node.merge != nullptr;
  const char *kind = layer_kind_name(node.layer->config().kind());
  if (merge ? node.inputs.size() < 2 : node.inputs.size() != 1) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "layer " + std::to_string(index) + " (" + kind + ") takes " +
                                           (merge ? "two or more inputs" : "one input") + ", got " +
                                           std::to_string(node.inputs.size()));
  }
  for (int32_t source : node.inputs) {
    if (source < kNetworkInput || source >= static_cast<int64_t>(index)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           "layer " + std::to_string(index) + " (" + kind + ") takes input " +
               std::to_string(source) + ", which is not an earlier layer (0.." +
               std::to_string(static_cast<int64_t>(index) - 1) + ") nor the network input (-1)");
    }
  }
}

// The node's output for one sample, with the error reworded to name the node and its inputs.
Shape Graph::infer_sample_output(size_t index, const Node &node) const {
  std::vector<Shape> batched;
  for (int32_t source : node.inputs) batched.push_back(sample_shape_of(source).batched(1));
  const std::string what = "layer " + std::to_string(index) +
                           (node.name.empty() ? "" : " \"" + node.name + "\"") + " (" +
                           layer_kind_name(node.layer->config().kind()) + ")";
  if (node.merge) {
    try {
      return node.merge->merged_output_shape(batched).sample();
    } catch (const Error &e) {
      fail(e.status(), what + ": " + e.what());
    }
  }
  const Shape input = batched[0].sample();
  const Shape required = node.layer->required_sample_shape();
  if (required.rank != 0 && required != input) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         what + " expects samples of shape " + required.to_string() + " but " +
             (node.inputs[0] == kNetworkInput ? std::string("the network input")
                                              : describe(node.inputs[0])) +
             " produces " + input.to_string());
  }
  try {
    return node.layer->output_shape(batched[0]).sample();
  } catch (const Error &e) {
    fail(e.status(), what + " cannot take samples of shape " + input.to_string() + ": " + e.what());
  }
}

// `pending` is the first node that fixes the input shape: every earlier node preserves shapes,
// so the network input must be what it requires. Every shape is computed again and the
// pending node's output returned; nothing changes on a refusal.
Shape Graph::fix_input_shape(size_t index, const Node &pending) {
  sample_input_shape_ = pending.layer->required_sample_shape();
  try {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].sample_output = infer_sample_output(i, nodes_[i]);
    }
    return infer_sample_output(index, pending);
  } catch (...) {
    sample_input_shape_ = Shape{};
    for (Node &node : nodes_) node.sample_output = Shape{};
    throw;
  }
}

void Graph::add(std::unique_ptr<Layer> layer) {
  const int32_t last = nodes_.empty() ? kNetworkInput : static_cast<int32_t>(nodes_.size() - 1);
  add(std::move(layer), {last}, "");
}

size_t Graph::add(std::unique_ptr<Layer> layer, const std::vector<int32_t> &inputs,
                  const std::string &name) {
  const size_t index = nodes_.size();
  if (index >= static_cast<size_t>(INT32_MAX))
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "too many layers");
  check_key(index, name);
  Node node{std::move(layer), nullptr, inputs, name, Shape{}, 0};
  node.merge = dynamic_cast<Merge *>(node.layer.get());
  check_inputs(index, node);
  if (sample_input_shape_.rank != 0) {
    node.sample_output = infer_sample_output(index, node);
  } else if (node.merge) {
    fail(NNSTATE_ERR_STATE, "layer " + std::to_string(index) + " (" +
                                layer_kind_name(node.layer->config().kind()) +
                                ") merges inputs whose shapes are not known yet: set the sample "
                                "input shape first");
  } else if (node.layer->required_sample_shape().rank != 0) {
    node.sample_output = fix_input_shape(index, node);
  } else if (!node.layer->preserves_shape()) {
    fail(NNSTATE_ERR_STATE, "layer " + std::to_string(index) + " (" +
                                layer_kind_name(node.layer->config().kind()) +
                                ") changes the shape of inputs it does not fix (e.g. any "
                                "height and width): set the sample input shape first");
  }
  for (int32_t source : node.inputs) {
    if (source != kNetworkInput) ++nodes_[source].uses;
  }
  if (!node.name.empty()) named_.emplace(node.name, index);
  nodes_.push_back(std::move(node));
  uses_checked_ = false;
  activations_.resize(nodes_.size());
  gradients_.resize(nodes_.size());
  if (scratch_.size() < inputs.size()) scratch_.resize(inputs.size());
  return index;
}

Shape Graph::node_sample_output_shape(size_t index) const {
  if (sample_input_shape_.rank == 0) {
    fail(NNSTATE_ERR_STATE, "the network has no layer that fixes its input shape yet");
  }
  return nodes_.at(index).sample_output;
}

Shape Graph::sample_output_shape() const {
  if (sample_input_shape_.rank == 0) {
    fail(NNSTATE_ERR_STATE, "the network has no layer that fixes its input shape yet");
  }
  return nodes_.empty() ? sample_input_shape_ : nodes_.back().sample_output;
}

int64_t Graph::sample_input_size() const {
  if (sample_input_shape_.rank == 0) {
    fail(NNSTATE_ERR_STATE, "the network has no layer that fixes its input shape yet");
  }
  return sample_input_shape_.numel();
}

int64_t Graph::sample_output_size() const {
  return sample_output_shape().numel();
}

// Every node but the last feeds a later one, so following its uses always reaches the output:
// no node computes a value (or holds parameters) that the loss does not depend on.
void Graph::check_every_node_used() const {
  for (size_t i = 0; i + 1 < nodes_.size(); ++i) {
    if (nodes_[i].uses == 0) {
      fail(NNSTATE_ERR_STATE, describe(i) +
                                  " is not an input of any later layer, so the output (the "
                                  "last layer) does not depend on it");
    }
  }
}

const Tensor &Graph::value(int32_t source) const {
  return source == kNetworkInput ? input_ : activations_[source];
}

void Graph::gather_inputs(const Node &node) {
  merge_inputs_.clear();
  for (int32_t source : node.inputs) merge_inputs_.push_back(&value(source));
}

const Tensor &Graph::forward(const float *inputs, int64_t batch, const RunContext &context) {
  begin_forward(inputs, batch);
  for (size_t i = 0; i < nodes_.size(); ++i) forward_node(i, batch, context);
  return activations_.back();
}

void Graph::begin_forward(const float *inputs, int64_t batch) {
  if (nodes_.empty()) fail(NNSTATE_ERR_STATE, "the network has no layers");
  if (!uses_checked_) {  // once per change of the graph, not on every step
    check_every_node_used();
    uses_checked_ = true;
  }
  input_.borrow(inputs, sample_input_shape_.batched(batch));
}

void Graph::forward_node(size_t i, int64_t batch, const RunContext &context) {
  Node &node = nodes_[i];
  const Shape out = node.sample_output.batched(batch);
  if (out.numel() > INT_MAX) {
    // BLAS takes int sizes.
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         describe(i) + " output " + out.to_string() + " exceeds 2^31 elements");
  }
  activations_[i].resize(out);
  if (node.merge) {
    gather_inputs(node);
    node.merge->forward_merged(merge_inputs_, activations_[i]);
  } else if (i < eval_nodes_.size() && eval_nodes_[i] && context.training) {
    RunContext eval_context = context;
    eval_context.training = false;
    node.layer->forward(value(node.inputs[0]), activations_[i], eval_context);
  } else {
    node.layer->forward(value(node.inputs[0]), activations_[i], context);
  }
}

Tensor &Graph::output_grad() {
  if (nodes_.empty()) fail(NNSTATE_ERR_STATE, "the network has no layers");
  gradients_.back().resize(activations_.back().shape());
  return gradients_.back();
}

// Runs node `index` backwards. A node used by several later ones receives the sum of their
// gradients: the first writes gradients_[source] directly, the others write a scratch tensor
// that is then added (in node order, so the sum is deterministic).
void Graph::backward_node(size_t index) {
  Node &node = nodes_[index];
  const size_t n = node.inputs.size();
  slot_targets_.assign(n, nullptr);
  for (size_t k = 0; k < n; ++k) {
    const int32_t source = node.inputs[k];
    if (source == kNetworkInput) continue;                      // nobody needs the input's gradient
    if (!runs_backward(static_cast<size_t>(source))) continue;  // nor where nothing before trains
    const Shape &shape = activations_[source].shape();
    Tensor &target = has_grad_[source] ? scratch_[k] : gradients_[source];
    target.resize(shape);
    slot_targets_[k] = &target;
    has_grad_[source] = 1;
  }
  if (node.merge) {
    gather_inputs(node);
    node.merge->backward_merged(merge_inputs_, gradients_[index], slot_targets_);
  } else {
    node.layer->backward(value(node.inputs[0]), activations_[index], gradients_[index],
                         slot_targets_[0]);
  }
  for (size_t k = 0; k < n; ++k) {
    if (slot_targets_[k] != &scratch_[k]) continue;
    float *sum = gradients_[node.inputs[k]].data();
    const float *part = scratch_[k].data();
    for (int64_t i = 0, count = scratch_[k].numel(); i < count; ++i) sum[i] += part[i];
  }
}

void Graph::backward() {
  begin_backward();
  for (size_t i = nodes_.size(); i-- > 0;) {
    if (runs_backward(i)) backward_node(i);
  }
}

void Graph::begin_backward() {
  has_grad_.assign(nodes_.size(), 0);
  has_grad_.back() = 1;
}

void Graph::set_node_modes(std::vector<char> backward, std::vector<char> eval) {
  backward_nodes_ = std::move(backward);
  eval_nodes_ = std::move(eval);
}

void Graph::visit_state(StateVisitor &visitor) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    visitor.layer(i, nodes_[i].layer->config());
    visitor.links(i, nodes_[i].name, nodes_[i].inputs);
    nodes_[i].layer->visit_tensors(key(i) + ".", visitor);
  }
}

int64_t Graph::parameter_count() {
  struct Counter : StateVisitor {
    int64_t count = 0;
    void tensor(const std::string &, TensorRole role, Tensor &value, Tensor *) override {
      if (role == TensorRole::parameter) count += value.numel();
    }
  } counter;
  visit_state(counter);
  return counter.count;
}

}  // namespace nnstate
