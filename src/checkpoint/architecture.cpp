#include "checkpoint/architecture.h"

#include <cstdint>
#include <cstdio>
#include <string_view>
#include <unordered_map>

#include "layers/layer_spec.h"
#include "layers/merge.h"
#include "layers/registry.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

// Activations beyond this many elements cannot be run (BLAS takes int sizes) and would
// overflow the window arithmetic of the next layer; refusing them keeps every product exact.
constexpr int64_t kMaxActivation = int64_t{1} << 62;
// What building the layers may allocate besides tensors of the file's size: a few per-feature
// workspaces, bounded in total so that many layers cannot add up to more.
constexpr uint64_t kWorkspaceAllowance = uint64_t{64} << 20;
constexpr uint64_t kWorkspacePerDataByte = 16;

thread_local uint64_t shape_steps = 0;

// The kind and its configuration fields (those `nnstate diff` shows, from the kind's spec),
// for messages: "Linear(in_features 784, out_features 10, bias true)".
std::string describe_sizes(const LayerConfig &c) {
  struct Text final : ConfigFields {
    std::string list;
    void add(const std::string &name, const std::string &value) {
      list += (list.empty() ? "" : ", ") + name + " " + value;
    }
    void text(const std::string &name, const std::string &value) override { add(name, value); }
    void integer(const std::string &name, int64_t value) override {
      add(name, std::to_string(value));
    }
    void boolean(const std::string &name, bool value) override {
      add(name, value ? "true" : "false");
    }
    void real(const std::string &name, double value) override {
      char text[32];
      std::snprintf(text, sizeof text, "%.17g", value);
      add(name, text);
    }
    void size2(const std::string &name, const Size2 &value) override {
      add(name, value.to_string());
    }
  } fields;
  layer_kind_entry(c.kind()).spec->describe_fields(c, fields);
  const std::string kind = layer_kind_name(c.kind());
  return fields.list.empty() ? kind : kind + "(" + fields.list + ")";
}

void check_config(const LayerConfig &c, const std::string &where) {
  try {
    check_layer_config(c);
  } catch (const Error &e) {
    fail(NNSTATE_ERR_CORRUPT, where + ": " + e.what());
  }
}

// The element count of `s`, or -1 when it exceeds kMaxActivation.
int64_t bounded_numel(const Shape &s) {
  int64_t n = 1;
  for (int i = 0; i < s.rank; ++i) {
    if (__builtin_mul_overflow(n, s[i], &n) || n > kMaxActivation) return -1;
  }
  return n;
}

[[noreturn]] void no_chain(const std::string &where, const std::string &why) {
  fail(NNSTATE_ERR_CORRUPT, where + ": the layers do not chain: " + why);
}

std::string describe(size_t index, const LayerConfig &c) {
  return "layer " + std::to_string(index) + " (" + layer_kind_name(c.kind()) + ")";
}

// Layer `index`'s output for one sample (batched to [1, ...]), as the built layer computes it.
Shape step(const std::string &where, size_t index, const LayerConfig &c, const Shape &batched) {
  ++shape_steps;
  Shape out;
  try {
    out = declared_output_shape(c, batched);
  } catch (const Error &e) {
    no_chain(where, describe(index, c) + " cannot take samples of shape " +
                        batched.sample().to_string() + ": " + e.what());
  }
  if (bounded_numel(out) < 0) {
    no_chain(where, describe(index, c) + " produces samples of shape " + out.sample().to_string() +
                        ", more than 2^62 elements");
  }
  return out;
}

Shape merge_step(const std::string &where, size_t index, const LayerConfig &c,
                 const std::vector<Shape> &batched) {
  ++shape_steps;
  Shape out;
  try {
    out = merged_shape(c, batched);
  } catch (const Error &e) {
    no_chain(where, describe(index, c) + ": " + e.what());
  }
  if (bounded_numel(out) < 0) {
    no_chain(where, describe(index, c) + " produces samples of shape " + out.sample().to_string() +
                        ", more than 2^62 elements");
  }
  return out;
}

// links[i], or a stack node's (unnamed, taking node i - 1) when `links` is empty, as for
// every 1.0 file: a stack then costs no memory per node.
class Wiring {
 public:
  explicit Wiring(const std::vector<NodeLinks> &links) : links_(links) {}
  const std::string &name(size_t i) const { return links_.empty() ? none_ : links_[i].name; }
  std::vector<int32_t> inputs(size_t i) const {
    return links_.empty() ? std::vector<int32_t>{static_cast<int32_t>(i) - 1} : links_[i].inputs;
  }

 private:
  const std::vector<NodeLinks> &links_;
  const std::string none_;
};

// A named node whose name is another node's index clashes with that node when it is unnamed
// (its key is its index).
bool name_is_unnamed_index(const std::string &name, const Wiring &wiring, size_t count,
                           size_t *other) {
  if (name.empty() || name.size() > 10 || name.find_first_not_of("0123456789") != name.npos) {
    return false;
  }
  const uint64_t index = std::stoull(name);
  if (index >= count || std::to_string(index) != name || !wiring.name(index).empty()) return false;
  *other = index;
  return true;
}

// Names valid and unique (an unnamed node's key is its index), inputs earlier nodes in the
// number a layer or merge takes, and every node but the last used by a later one. Memory: one
// flag per node and one view per named node.
void check_links(const std::vector<LayerConfig> &layers, const Wiring &wiring,
                 const std::string &where) {
  std::unordered_map<std::string_view, size_t> names;
  std::vector<bool> used(layers.size(), false);
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string &name = wiring.name(i);
    if (!name.empty()) {
      try {
        check_node_name(name);
      } catch (const Error &e) {
        fail(NNSTATE_ERR_CORRUPT, where + ": " + describe(i, layers[i]) + ": " + e.what());
      }
      size_t other = 0;
      const auto [clash, inserted] = names.emplace(name, i);
      if (!inserted) other = clash->second;
      if (!inserted || name_is_unnamed_index(name, wiring, layers.size(), &other)) {
        no_chain(where, describe(i, layers[i]) + " has the name \"" + name + "\" of " +
                            describe(other, layers[other]));
      }
    }
    const std::vector<int32_t> inputs = wiring.inputs(i);
    const bool merge = is_merge_kind(layers[i].kind());
    if (merge ? inputs.size() < 2 : inputs.size() != 1) {
      no_chain(where, describe(i, layers[i]) + " takes " +
                          (merge ? "two or more inputs" : "one input") + ", the file gives " +
                          std::to_string(inputs.size()));
    }
    for (int32_t source : inputs) {
      if (source < Graph::kNetworkInput || source >= static_cast<int64_t>(i)) {
        no_chain(where, describe(i, layers[i]) + " takes input " + std::to_string(source) +
                            ", which is not an earlier layer nor the network input (-1)");
      }
      if (source >= 0) used[source] = true;
    }
  }
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    if (!used[i]) {
      no_chain(where, describe(i, layers[i]) + " is not an input of any later layer");
    }
  }
}

}  // namespace

uint64_t chain_shape_steps() {
  return shape_steps;
}

std::vector<ExpectedTensor> expected_tensors(const LayerConfig &c, const std::string &key,
                                             const std::string &where, uint64_t data_length) {
  check_config(c, where);
  std::vector<ExpectedTensor> out = declared_tensors(c, key + ".");
  // Sizes are below 2^31 each, so a tensor has at most 2^124 elements: count with care.
  uint64_t bytes = 0;
  bool fits = true;
  for (const ExpectedTensor &t : out) {
    uint64_t n = sizeof(float);
    for (int i = 0; i < t.shape.rank && fits; ++i) {
      fits = !__builtin_mul_overflow(n, static_cast<uint64_t>(t.shape[i]), &n);
    }
    fits = fits && !__builtin_add_overflow(bytes, n, &bytes) && bytes <= data_length;
  }
  if (!fits) {
    fail(NNSTATE_ERR_CORRUPT, where + ": " + describe_sizes(c) +
                                  ": its tensors cannot fit in the data section of " +
                                  std::to_string(data_length) + " bytes");
  }
  return out;
}

Shape check_graph(const std::vector<LayerConfig> &layers, const std::vector<NodeLinks> &links,
                  const Shape &sample_input, const std::string &where, uint64_t data_length) {
  uint64_t workspace = 0, budget = 0;
  if (__builtin_mul_overflow(kWorkspacePerDataByte, data_length, &budget) ||
      __builtin_add_overflow(budget, kWorkspaceAllowance, &budget)) {
    budget = UINT64_MAX;
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    check_config(layers[i], where + ": layer " + std::to_string(i));
    if (__builtin_add_overflow(workspace, declared_workspace_bytes(layers[i]), &workspace) ||
        workspace > budget) {
      fail(NNSTATE_ERR_CORRUPT, where + ": layers 0.." + std::to_string(i) + " up to " +
                                    describe_sizes(layers[i]) + " would allocate " +
                                    std::to_string(workspace) +
                                    " bytes of workspace, more than a data section of " +
                                    std::to_string(data_length) + " bytes justifies");
    }
  }
  if (!links.empty() && links.size() != layers.size()) {
    fail(NNSTATE_ERR_INTERNAL, where + ": " + std::to_string(links.size()) + " links for " +
                                   std::to_string(layers.size()) + " layers");
  }
  const Wiring wiring(links);
  check_links(layers, wiring, where);

  // out[i] is node i's output as one batched sample [1, ...], once the input shape is known.
  std::vector<Shape> out(layers.size());
  Shape input;
  const auto compute = [&](size_t i) {
    const LayerConfig &c = layers[i];
    std::vector<Shape> in;
    for (int32_t source : wiring.inputs(i)) {
      in.push_back(source == Graph::kNetworkInput ? input : out[source]);
    }
    if (is_merge_kind(c.kind())) {
      out[i] = merge_step(where, i, c, in);
      return;
    }
    const Shape required = declared_required_sample_shape(c);
    if (required.rank != 0 && required != in[0].sample()) {
      no_chain(where, describe(i, c) + " expects samples of shape " + required.to_string() +
                          " but its input produces " + in[0].sample().to_string());
    }
    out[i] = step(where, i, c, in[0]);
  };
  bool known = sample_input.rank > 0;
  if (known) {
    if (sample_input.rank >= Shape::kMaxRank || bounded_numel(sample_input) <= 0) {
      no_chain(where, "sample input shape " + sample_input.to_string() +
                          " must have 1 to 3 dims and 1 to 2^62 elements");
    }
    input = sample_input.batched(1);
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerConfig &c = layers[i];
    const Shape required = declared_required_sample_shape(c);
    if (known) {
      compute(i);
    } else if (is_merge_kind(c.kind())) {
      no_chain(where, describe(i, c) +
                          " merges inputs whose shapes are unknown: the file sets "
                          "no sample input shape");
    } else if (required.rank != 0) {
      // Every earlier node preserves shapes, so they all take the input this one requires.
      input = required.batched(1);
      known = true;
      for (size_t j = 0; j <= i; ++j) compute(j);
    } else if (!declared_preserves_shape(c)) {
      no_chain(where, describe(i, c) +
                          " changes the shape of inputs it does not fix: the file sets no "
                          "sample input shape");
    }
  }
  if (!known) return Shape{};
  return layers.empty() ? input.sample() : out.back().sample();
}

}  // namespace nnstate::checkpoint
