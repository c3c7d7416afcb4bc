// Whole networks as JSON documents, the same content as a checkpoint's architecture section:
//   {"input_shape": [1, 28, 28],
//    "nodes": [{"kind": "Conv2d", "name": "conv1", "in_channels": 1, ...}, ...]}
// Each node is an object of layers/layer_json.h, read against the nodes before it. The
// document describes the module alone, as a torch.nn.Module does: the loss, the optimizer and
// the seed are set apart. "input_shape" (one sample, without the batch dimension) may be left
// out when the first node fixes it (Linear, Embedding). The text is untrusted: every refusal is
// INVALID_ARGUMENT (the graph's own checks: SHAPE_MISMATCH or STATE) and names the node (its
// index, and its name when it has one) and the field.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "layers/graph.h"
#include "layers/layer_config.h"
#include "tensor/shape.h"

namespace nnstate {

class Model;

// Limits of a document: its length, its number of nodes and how deep it nests (a node needs 2
// levels below "nodes"; more is refused before the parser builds it).
constexpr size_t kMaxNetworkJsonBytes = size_t{8} << 20;
constexpr size_t kMaxNetworkNodes = 16384;
constexpr size_t kMaxNetworkJsonDepth = 16;

// A document read but not built: the input shape and each node object as its own text.
struct NetworkDocument {
  Shape input_shape;               // rank 0 when the document has none
  std::vector<std::string> nodes;  // each node object, as parse_node_json takes it
};

// Checks the document's structure (not yet the nodes' fields). Throws Error.
NetworkDocument parse_network_document(const std::string &text);

// Appends one node object to `model` (nnstate_network_add_node), returning its index; the
// graph's refusals are prefixed with the node's label. Throws Error.
size_t add_node_json(Model &model, const std::string &node_text);
// Builds the document's nodes into `model`, which must have none. Throws Error; the model is
// then partly built and should be discarded.
void add_network_document(Model &model, const NetworkDocument &document);

// The document of `graph`, one node a line; parse_network_document and add_network_document
// rebuild the same network (weights apart). Inputs are written as the names of named nodes,
// else as indices, as node_json does.
std::string network_json(const Graph &graph);
// The same from a checkpoint's architecture: each node's configuration and links.
std::string network_json(const Shape &input_shape, const std::vector<LayerConfig> &layers,
                         const std::vector<NodeLinks> &links);

}  // namespace nnstate
