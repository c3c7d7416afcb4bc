// Whole networks as JSON documents (train/network_json.h): a document lists exactly the nodes
// node_json describes; it rebuilds the same network; a checkpoint's architecture gives the same
// document as the network loaded from it, for every golden file of every format version.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"
#include "checkpoint/load.h"
#include "checkpoint/reader.h"
#include "graph_golden_net.h"
#include "layers/layer_json.h"
#include "train/model.h"
#include "train/network_json.h"
#include "util/error.h"

namespace nnstate {
namespace {

using checkpoint::Contents;

// The document's node lines, one per node between the first and the last line.
std::vector<std::string> node_lines(const std::string &document) {
  std::vector<std::string> lines;
  size_t start = document.find('\n');
  while (start != std::string::npos) {
    const size_t end = document.find('\n', start + 1);
    if (end == std::string::npos) break;
    std::string line = document.substr(start + 3, end - start - 3);  // "\n  " before each
    if (!line.empty() && line.back() == ',') line.pop_back();
    lines.push_back(line);
    start = end;
  }
  return lines;
}

std::string stored_document(const Contents &c) {
  std::vector<NodeLinks> links;
  for (size_t i = 0; i < c.layers.size(); ++i) links.push_back(checkpoint::node_links(c, i));
  return network_json(c.sample_input_shape, c.layers, links);
}

TEST_CASE("network_json: one line per node, each node_json's description of it") {
  Model model(3);
  golden_graph::build(model);
  const std::string document = network_json(model.network());
  CHECK(document.rfind("{\"input_shape\":[1,6,6],\"nodes\":[\n", 0) == 0);
  const std::vector<std::string> lines = node_lines(document);
  REQUIRE(lines.size() == model.network().size());
  for (size_t i = 0; i < lines.size(); ++i) {
    CAPTURE(i);
    CHECK(lines[i] == node_json(model.network(), i));
  }
}

TEST_CASE("network_json: the document rebuilds the network with the same weights") {
  Model model(3);
  golden_graph::build(model);
  const std::string document = network_json(model.network());
  Model rebuilt(3);
  add_network_document(rebuilt, parse_network_document(document));
  CHECK(network_json(rebuilt.network()) == document);
  CHECK(rebuilt.network().parameter_count() == model.network().parameter_count());
  for (size_t i = 0; i < model.network().size(); ++i) {
    CHECK(rebuilt.network().key(i) == model.network().key(i));
  }
  // Into a network that already has nodes: refused, since names and inputs would shift.
  CHECK_THROWS_WITH_AS(add_network_document(rebuilt, parse_network_document(document)),
                       "a network description is built into an empty network only", Error);
}

TEST_CASE("network_json: a checkpoint's architecture gives the document of its network") {
  for (const char *name : {"mlp_adam", "mlp_sgd_momentum", "cnn_trainer", "resnet_block_trainer"}) {
    CAPTURE(name);
    checkpoint::FileSource source(std::string(NNSTATE_GOLDEN_DIR) + "/v1/" + name + ".nnst");
    const Contents contents = checkpoint::read_contents(source);
    const std::unique_ptr<Model> model = checkpoint::load(source, checkpoint::LoadOptions{});
    const std::string stored = stored_document(contents);
    CHECK(stored == network_json(model->network()));
    // And it builds a network with the file's tensor names.
    Model rebuilt(contents.seed);
    add_network_document(rebuilt, parse_network_document(stored));
    CHECK(network_json(rebuilt.network()) == stored);
  }
}

}  // namespace
}  // namespace nnstate
