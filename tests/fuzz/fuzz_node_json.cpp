// Node descriptions (layers/layer_json.h) as untrusted text: each line of the input is one node
// object added to a network (the first byte picks its input shape). A refusal must be a clean
// Error with a message and one of the statuses the C API documents; an accepted node's own
// description must rebuild it, identically, in a second network.
#include <cstdlib>
#include <string>

#include "fuzz_target.h"
#include "layers/layer_json.h"
#include "train/model.h"
#include "util/error.h"

namespace {

using nnstate::LayerConfig;
using nnstate::LayerKind;

// a * b, saturated: the fuzzer must not ask for gigabytes of parameters (which libFuzzer would
// report as a finding) although the library itself would try to allocate them.
int64_t product(int64_t a, int64_t b) {
  int64_t result;
  return __builtin_mul_overflow(a, b, &result) ? INT64_MAX : result;
}

bool small_enough(const LayerConfig &c) {
  const int64_t kLimit = int64_t{1} << 20;
  int64_t size = 0;
  switch (c.kind()) {
    case LayerKind::linear: {
      const auto &o = c.as<nnstate::LinearConfig>();
      size = product(o.in_features, o.out_features);
      break;
    }
    case LayerKind::conv2d: {
      const auto &o = c.as<nnstate::Conv2dConfig>();
      size = product(product(o.in_channels, o.out_channels),
                     product(o.kernel_size.h, o.kernel_size.w));
      break;
    }
    case LayerKind::embedding: {
      const auto &o = c.as<nnstate::EmbeddingConfig>();
      size = product(o.num_embeddings, o.embedding_dim);
      break;
    }
    case LayerKind::batch_norm1d:
    case LayerKind::batch_norm2d:
      size = c.as<nnstate::BatchNormConfig>().num_features;
      break;
    case LayerKind::layer_norm: {
      const nnstate::Shape &shape = c.as<nnstate::LayerNormConfig>().normalized_shape;
      size = 1;
      for (int32_t i = 0; i < shape.rank; ++i) size = product(size, shape[i]);
      break;
    }
    default:
      break;
  }
  // Windows and output sizes bound the work of shape inference only through the input shape.
  return size <= kLimit;
}

void check_refusal(const nnstate::Error &e, bool parsing) {
  if (std::string(e.what()).empty()) std::abort();
  const nnstate_status s = e.status();
  if (parsing ? s != NNSTATE_ERR_INVALID_ARGUMENT
              : s != NNSTATE_ERR_INVALID_ARGUMENT && s != NNSTATE_ERR_SHAPE_MISMATCH &&
                    s != NNSTATE_ERR_STATE) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 8192) return 0;  // a node is short; long inputs only repeat
  static const nnstate::Shape kInputs[] = {nnstate::Shape{3, 8, 8}, nnstate::Shape{16},
                                           nnstate::Shape{4, 6}};
  const nnstate::Shape &input = kInputs[data[0] % 3];
  nnstate::Model model(1), rebuilt(1);
  model.network().set_sample_input_shape(input);
  rebuilt.network().set_sample_input_shape(input);
  const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
  size_t start = 0;
  for (int line = 0; line < 32 && start <= text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string node_text = text.substr(start, end - start);
    start = end + 1;
    nnstate::NodeDescription node;
    try {
      node = nnstate::parse_node_json(node_text, model.network());
    } catch (const nnstate::Error &e) {
      check_refusal(e, true);
      continue;
    }
    if (!small_enough(node.config)) continue;
    size_t index;
    try {
      index = model.add_node(node.config, node.inputs, node.name);
    } catch (const nnstate::Error &e) {
      check_refusal(e, false);
      continue;
    }
    // The description of what was accepted is accepted, and describes the same node.
    const std::string description = nnstate::node_json(model.network(), index);
    const nnstate::NodeDescription again = nnstate::parse_node_json(description, rebuilt.network());
    if (!(again.config == model.network().layer(index).config()) || again.name != node.name ||
        again.inputs != node.inputs) {
      std::abort();
    }
    rebuilt.add_node(again.config, again.inputs, again.name);
    if (nnstate::node_json(rebuilt.network(), index) != description) std::abort();
  }
  return 0;
}
