// Network descriptions (train/network_json.h) as untrusted text: the input is a whole document.
// A refusal must be a clean Error with a message and one of the statuses
// nnstate_network_create_from_json documents; an accepted document's own description must
// rebuild the network identically.
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_target.h"
#include "train/model.h"
#include "train/network_json.h"
#include "util/error.h"

namespace {

// The product of a node's integer arguments (inputs apart), saturated: a bound on its
// parameter count found without reading its configuration. Documents with a larger node are
// skipped, as the fuzzer must not ask for gigabytes (which libFuzzer reports as a finding)
// although the library itself would try to allocate them.
bool small_enough(const std::string &node_text) {
  const nlohmann::json node = nlohmann::json::parse(node_text, nullptr, false);
  if (!node.is_object()) return true;  // refused by the parser anyway
  uint64_t product = 1;
  const auto multiply = [&](const nlohmann::json &v) {
    if (!v.is_number_integer()) return;
    const uint64_t x = v.is_number_unsigned() ? v.get<uint64_t>() : 1;
    if (x > 1 && __builtin_mul_overflow(product, x, &product)) product = UINT64_MAX;
  };
  for (auto item = node.begin(); item != node.end(); ++item) {
    if (item.key() == "inputs") continue;
    multiply(item.value());
    if (item.value().is_array()) {
      for (const nlohmann::json &v : item.value()) multiply(v);
    }
  }
  return product <= (uint64_t{1} << 20);
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
  if (size > 65536) return 0;  // longer documents only repeat nodes
  const std::string text(reinterpret_cast<const char *>(data), size);
  nnstate::NetworkDocument document;
  try {
    document = nnstate::parse_network_document(text);
  } catch (const nnstate::Error &e) {
    check_refusal(e, true);
    return 0;
  }
  for (const std::string &node : document.nodes) {
    if (!small_enough(node)) return 0;
  }
  nnstate::Model model(1);
  try {
    nnstate::add_network_document(model, document);
  } catch (const nnstate::Error &e) {
    check_refusal(e, false);
    return 0;
  }
  // What was accepted describes itself, and that description builds the same network.
  const std::string description = nnstate::network_json(model.network());
  nnstate::Model rebuilt(1);
  nnstate::add_network_document(rebuilt, nnstate::parse_network_document(description));
  if (nnstate::network_json(rebuilt.network()) != description) std::abort();
  if (rebuilt.network().parameter_count() != model.network().parameter_count()) std::abort();
  return 0;
}
