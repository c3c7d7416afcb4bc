// C API: whole networks as JSON documents (train/network_json.h), from and to text.
#include <memory>

#include "guard.h"
#include "handles.h"
#include "text_out.h"
#include "train/network_json.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

extern "C" {

nnstate_status nnstate_network_create_from_json(nnstate_network **out, const char *json,
                                                uint64_t seed) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    require_arg(json, "json");
    const nnstate::NetworkDocument document = nnstate::parse_network_document(json);
    auto network = std::make_unique<nnstate_network>(seed);
    nnstate::add_network_document(network->model, document);
    *out = network.release();
  });
}

nnstate_status nnstate_network_to_json(const nnstate_network *network, char *buffer,
                                       size_t capacity, size_t *size_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(size_out, "size_out");
    *size_out = 0;
    const nnstate::Graph &graph = const_cast<nnstate_network *>(network)->model.network();
    nnstate::capi::copy_text_out(nnstate::network_json(graph), buffer, capacity, size_out);
  });
}

nnstate_status nnstate_checkpoint_network_json(const nnstate_checkpoint *checkpoint, char *buffer,
                                               size_t capacity, size_t *size_out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(size_out, "size_out");
    *size_out = 0;
    const nnstate::checkpoint::Contents &c = checkpoint->contents;
    std::vector<nnstate::NodeLinks> links;
    links.reserve(c.layers.size());
    for (size_t i = 0; i < c.layers.size(); ++i)
      links.push_back(nnstate::checkpoint::node_links(c, i));
    const std::string text = nnstate::network_json(c.sample_input_shape, c.layers, links);
    nnstate::capi::copy_text_out(text, buffer, capacity, size_out);
  });
}

}  // extern "C"
