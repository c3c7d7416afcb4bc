// Layers as JSON: a node of a graph described by PyTorch's constructor arguments, e.g.
//   {"kind": "Conv2d", "name": "layer1.0.conv1", "inputs": ["maxpool"],
//    "in_channels": 64, "out_channels": 64, "kernel_size": 3, "padding": 1, "bias": false}
// "kind" is the PyTorch class name, "name" (optional) the module name, "inputs" (optional, by
// default the previous node) a list of node indices (-1: the network input) or node keys.
// Absent arguments take PyTorch's defaults. A whole network is then the document
// {"input_shape": [...], "nodes": [...]}. The JSON is untrusted: every refusal is
// INVALID_ARGUMENT and names the node and the field. The parser stays out of this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer_config.h"

namespace nnstate {

class Graph;

// One node read from JSON, its inputs resolved against the graph it is about to join.
struct NodeDescription {
  LayerConfig config;
  std::string name;             // "" when unnamed
  std::vector<int32_t> inputs;  // earlier node indices or Graph::kNetworkInput
};

// Parses a node object for the next node of `graph`. Throws Error (INVALID_ARGUMENT).
NodeDescription parse_node_json(const std::string &text, const Graph &graph);
// Node `index` of `graph` as a node object, with its name (when named) and its inputs
// (keys of named nodes, indices otherwise), so that parse_node_json rebuilds it.
std::string node_json(const Graph &graph, size_t index);

// The configuration alone, {"kind": ..., every argument of that kind}, and back (no name or
// inputs accepted). `label` names the object in error messages.
std::string layer_config_json(const LayerConfig &config);
LayerConfig parse_layer_config_json(const std::string &text, const std::string &label);

// "node \"layer1.0.conv1\" (Conv2d)" or, when unnamed, "node 3 (Conv2d)": how messages about
// a node start.
std::string node_label(size_t index, const std::string &name, const LayerConfig &config);

}  // namespace nnstate
