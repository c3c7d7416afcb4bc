// C API: graph nodes of any kind, described in JSON (layers/layer_json.h), and back.
#include "guard.h"
#include "handles.h"
#include "layers/layer_json.h"
#include "text_out.h"
#include "train/network_json.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

const nnstate::Graph &graph_of(const nnstate_network *network) {
  // Read-only queries still walk the state visitor, whose interface is non-const.
  return const_cast<nnstate_network *>(network)->model.network();
}

void require_node(const nnstate::Graph &graph, size_t index) {
  if (index >= graph.size()) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "node index " + std::to_string(index) +
                                                    " is out of range (the network has " +
                                                    std::to_string(graph.size()) + " nodes)");
  }
}

// The trainable scalars of node `index` alone: its tensors follow its layer() call.
uint64_t node_parameters(nnstate::Graph &graph, size_t index) {
  struct Counter : nnstate::StateVisitor {
    size_t wanted, current = 0;
    uint64_t count = 0;
    explicit Counter(size_t node) : wanted(node) {}
    void layer(size_t i, const nnstate::LayerConfig &) override { current = i; }
    void tensor(const std::string &, nnstate::TensorRole role, nnstate::Tensor &value,
                nnstate::Tensor *) override {
      if (current == wanted && role == nnstate::TensorRole::parameter) {
        count += static_cast<uint64_t>(value.numel());
      }
    }
  } counter(index);
  graph.visit_state(counter);
  return counter.count;
}

}  // namespace

extern "C" {

nnstate_status nnstate_network_add_node(nnstate_network *network, const char *node_json,
                                        int64_t *index_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(node_json, "node_json");
    if (index_out) *index_out = -1;
    const size_t index = nnstate::add_node_json(network->model, node_json);
    network->tensor_names.clear();
    if (index_out) *index_out = static_cast<int64_t>(index);
  });
}

nnstate_status nnstate_network_node_json(const nnstate_network *network, size_t index, char *buffer,
                                         size_t capacity, size_t *size_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(size_out, "size_out");
    *size_out = 0;
    const nnstate::Graph &graph = graph_of(network);
    require_node(graph, index);
    nnstate::capi::copy_text_out(nnstate::node_json(graph, index), buffer, capacity, size_out);
  });
}

nnstate_status nnstate_network_node_info(const nnstate_network *network, size_t index,
                                         int32_t *kind, int32_t *input_count, int32_t *rank,
                                         int64_t *dims, uint64_t *parameter_count) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::Graph &graph = const_cast<nnstate_network *>(network)->model.network();
    require_node(graph, index);
    if (kind) *kind = static_cast<int32_t>(graph.layer(index).config().kind());
    if (input_count) *input_count = static_cast<int32_t>(graph.inputs(index).size());
    if (rank || dims) {
      const nnstate::Shape shape = graph.node_sample_output_shape(index);
      if (rank) *rank = shape.rank;
      for (int32_t d = 0; dims && d < nnstate::Shape::kMaxRank; ++d) {
        dims[d] = d < shape.rank ? shape.dims[d] : 0;
      }
    }
    if (parameter_count) *parameter_count = node_parameters(graph, index);
  });
}

}  // extern "C"
