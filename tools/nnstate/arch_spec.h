// The architecture mini-language of `nnstate train --arch`:
//
//   spec  := width ( "-" item )*
//   item  := width | relu | tanh | sigmoid | gelu[:tanh] | leaky_relu[:slope]
//
// Numbers are layer widths: the first is the input size, every later one appends a Linear
// layer (with bias) from the previous width; names append activations. "784-256-relu-10" is
// Linear(784, 256), ReLU, Linear(256, 10).
#pragma once

#include <nnstate/nnstate.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nnstate_cli {

struct LayerSpec {
  enum class Kind { linear, relu, tanh, sigmoid, gelu, gelu_tanh, leaky_relu };
  Kind kind = Kind::linear;
  int64_t in = 0, out = 0;      // linear
  float negative_slope = 0.0f;  // leaky_relu
};

struct ArchSpec {
  std::string text;
  int64_t input_size = 0, output_size = 0;
  uint64_t parameters = 0;
  std::vector<LayerSpec> layers;
};

constexpr int64_t kMaxWidth = 1 << 24;
constexpr uint64_t kMaxParameters = uint64_t{1} << 31;

// Throws a usage Error naming the item, its position and what is allowed.
ArchSpec parse_arch_spec(const std::string &text);

// The layers of `spec` in a new network seeded with `seed`. Library failures throw
// std::runtime_error "building 'SPEC': ..." (or "creating the network: ...").
nnstate::Network build_network(const ArchSpec &spec, uint64_t seed);

// "Linear(784, 256), ReLU, Linear(256, 10)"
std::string describe(const ArchSpec &spec);

}  // namespace nnstate_cli
