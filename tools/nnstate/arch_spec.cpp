#include "arch_spec.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "commands.h"

namespace nnstate_cli {
namespace {

const char kAllowed[] =
    "a width (1 to 16777216) nor an activation (relu, tanh, sigmoid, gelu, gelu:tanh, "
    "leaky_relu, leaky_relu:SLOPE)";

[[noreturn]] void bad(const std::string &text, const std::string &why) {
  throw UsageError("invalid architecture '" + text + "': " + why);
}

bool all_digits(const std::string &s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string item_at(const std::string &item, size_t position) {
  return "item " + std::to_string(position) + " '" + item + "'";
}

// An activation name, or false when `item` is none.
bool parse_activation(const std::string &text, const std::string &item, size_t position,
                      LayerSpec &layer) {
  const size_t colon = item.find(':');
  const std::string name = item.substr(0, colon);
  const bool has_arg = colon != std::string::npos;
  const std::string arg = has_arg ? item.substr(colon + 1) : "";
  using Kind = LayerSpec::Kind;
  if (name == "relu" || name == "tanh" || name == "sigmoid") {
    if (has_arg) bad(text, item_at(item, position) + ": " + name + " takes no parameter");
    layer.kind = name == "relu" ? Kind::relu : name == "tanh" ? Kind::tanh : Kind::sigmoid;
    return true;
  }
  if (name == "gelu") {
    if (has_arg && arg != "tanh") {
      bad(text,
          item_at(item, position) + ": gelu's only option is ':tanh' (the tanh approximation)");
    }
    layer.kind = has_arg ? Kind::gelu_tanh : Kind::gelu;
    return true;
  }
  if (name == "leaky_relu") {
    layer.kind = Kind::leaky_relu;
    layer.negative_slope = 0.01f;  // PyTorch's default
    if (has_arg) {
      char *end = nullptr;
      errno = 0;
      const double slope = std::strtod(arg.c_str(), &end);
      if (arg.empty() || *end != '\0' || errno || !std::isfinite(slope) || slope < 0) {
        bad(text,
            item_at(item, position) + ": the slope '" + arg + "' is not a non-negative number");
      }
      layer.negative_slope = static_cast<float>(slope);
    }
    return true;
  }
  return false;
}

}  // namespace

ArchSpec parse_arch_spec(const std::string &text) {
  if (text.empty()) bad(text, "empty (example: 784-256-relu-10)");
  ArchSpec spec;
  spec.text = text;
  std::vector<std::string> items;
  for (size_t start = 0;;) {
    const size_t dash = text.find('-', start);
    items.push_back(
        text.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  int64_t width = 0;  // current width; 0 before the input size
  bool last_was_activation = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string &item = items[i];
    const size_t position = i + 1;
    if (item.empty()) {
      bad(text,
          "item " + std::to_string(position) + " is empty (two '-' in a row, or one at an end)");
    }
    if (all_digits(item)) {
      const long long value = item.size() > 9 ? kMaxWidth + 1 : std::atoll(item.c_str());
      if (value < 1 || value > kMaxWidth) {
        bad(text, item_at(item, position) + ": widths must be 1 to " + std::to_string(kMaxWidth));
      }
      if (width == 0) {
        spec.input_size = value;
      } else {
        LayerSpec layer;
        layer.in = width;
        layer.out = value;
        spec.parameters += static_cast<uint64_t>(width) * static_cast<uint64_t>(value) +
                           static_cast<uint64_t>(value);
        if (spec.parameters > kMaxParameters) {
          bad(text, "more than " + std::to_string(kMaxParameters) + " parameters");
        }
        spec.layers.push_back(layer);
      }
      width = value;
      last_was_activation = false;
      continue;
    }
    LayerSpec layer;
    if (!parse_activation(text, item, position, layer)) {
      bad(text, item_at(item, position) + " is neither " + kAllowed);
    }
    if (i == 0) bad(text, "it must start with the input size, not the activation '" + item + "'");
    if (spec.layers.empty()) {
      bad(text, item_at(item, position) +
                    ": an activation needs a layer before it (after the "
                    "input size comes a width)");
    }
    if (last_was_activation) {
      bad(text, item_at(item, position) + " follows another activation");
    }
    spec.layers.push_back(layer);
    last_was_activation = true;
  }
  if (spec.layers.empty()) {
    bad(text, "no layer: give the input size and at least one more width (e.g. 784-10)");
  }
  spec.output_size = width;
  return spec;
}

std::string describe(const ArchSpec &spec) {
  std::string out;
  for (const LayerSpec &l : spec.layers) {
    if (!out.empty()) out += ", ";
    switch (l.kind) {
      case LayerSpec::Kind::linear:
        out += "Linear(" + std::to_string(l.in) + ", " + std::to_string(l.out) + ")";
        break;
      case LayerSpec::Kind::relu:
        out += "ReLU";
        break;
      case LayerSpec::Kind::tanh:
        out += "Tanh";
        break;
      case LayerSpec::Kind::sigmoid:
        out += "Sigmoid";
        break;
      case LayerSpec::Kind::gelu:
        out += "GELU";
        break;
      case LayerSpec::Kind::gelu_tanh:
        out += "GELU(tanh)";
        break;
      case LayerSpec::Kind::leaky_relu: {
        char slope[32];
        std::snprintf(slope, sizeof slope, "%g", static_cast<double>(l.negative_slope));
        out += std::string("LeakyReLU(") + slope + ")";
        break;
      }
    }
  }
  return out;
}

nnstate::Network build_network(const ArchSpec &spec, uint64_t seed) {
  nnstate::Network net = in_context("creating the network", [&] { return nnstate::Network(seed); });
  in_context("building '" + spec.text + "'", [&] {
    for (const LayerSpec &l : spec.layers) {
      using Kind = LayerSpec::Kind;
      switch (l.kind) {
        case Kind::linear:
          net.linear(l.in, l.out);
          break;
        case Kind::relu:
          net.relu();
          break;
        case Kind::tanh:
          net.tanh();
          break;
        case Kind::sigmoid:
          net.sigmoid();
          break;
        case Kind::gelu:
        case Kind::gelu_tanh:
          net.gelu(l.kind == Kind::gelu_tanh);
          break;
        case Kind::leaky_relu:
          net.leaky_relu(l.negative_slope);
          break;
      }
    }
  });
  return net;
}

}  // namespace nnstate_cli
