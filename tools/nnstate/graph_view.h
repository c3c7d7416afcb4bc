// The graph of a network as the tools show it: each node's index, name, kind, inputs, output
// shape and parameter count, from the public API (node descriptions and node info).
#pragma once

#include <nnstate/nnstate.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nnstate_cli {

// One input of a node: an earlier node by name (when it is named) or by index, or the
// network input (index -1).
struct NodeInput {
  std::string name;    // the node's name, or "" when it is given by index
  int64_t index = -1;  // when unnamed: the node's index, -1 for the network input
};

struct NodeRow {
  size_t index = 0;
  std::string name;  // "" when unnamed (its tensors are then numbered "3.weight")
  std::string kind;  // PyTorch's class name
  std::vector<NodeInput> inputs;
  bool shape_known = false;
  std::vector<int64_t> output_shape;  // one sample
  uint64_t parameters = 0;
};

struct GraphView {
  std::vector<int64_t> input_shape;  // empty when the network does not know it
  std::vector<NodeRow> nodes;
};

// Throws nnstate::Error on a library failure, std::runtime_error on a description it cannot read.
GraphView graph_view(const nnstate::Network &network);

// The "input_shape" of a network document ({} when it has none). Throws std::runtime_error
// when the text is not such a document.
std::vector<int64_t> document_input_shape(const std::string &document);

// "input", "conv1" or "3"
std::string input_text(const NodeInput &input);
// "[1, 28, 28]"
std::string dims_text(const std::vector<int64_t> &dims);

}  // namespace nnstate_cli
