// The architecture mini-language: valid specs and the message of every kind of mistake.
#include <doctest/doctest.h>

#include <string>

#include "arch_spec.h"
#include "args.h"

using nnstate_cli::ArchSpec;
using nnstate_cli::LayerSpec;

namespace {

std::string error_of(const std::string &text) {
  try {
    nnstate_cli::parse_arch_spec(text);
  } catch (const nnstate_cli::UsageError &e) {  // exit status 2
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("arch: the MNIST example") {
  const ArchSpec s = nnstate_cli::parse_arch_spec("784-512-relu-256-relu-10");
  CHECK(s.input_size == 784);
  CHECK(s.output_size == 10);
  CHECK(s.layers.size() == 5);
  CHECK(s.parameters == 784u * 512 + 512 + 512u * 256 + 256 + 256u * 10 + 10);
  CHECK(nnstate_cli::describe(s) ==
        "Linear(784, 512), ReLU, Linear(512, 256), ReLU, Linear(256, 10)");
}

TEST_CASE("arch: every activation, parameters, a trailing activation") {
  const ArchSpec s = nnstate_cli::parse_arch_spec(
      "4-8-tanh-8-sigmoid-8-gelu-8-gelu:tanh-8-leaky_relu-8-leaky_relu:0.2-1-sigmoid");
  CHECK(nnstate_cli::describe(s) ==
        "Linear(4, 8), Tanh, Linear(8, 8), Sigmoid, Linear(8, 8), GELU, Linear(8, 8), GELU(tanh), "
        "Linear(8, 8), LeakyReLU(0.01), Linear(8, 8), LeakyReLU(0.2), Linear(8, 1), Sigmoid");
  CHECK(s.layers[11].negative_slope == doctest::Approx(0.2));
  CHECK(nnstate_cli::parse_arch_spec("3-1").layers.size() == 1);
}

TEST_CASE("arch: invalid specs and their messages") {
  CHECK(error_of("") == "invalid architecture '': empty (example: 784-256-relu-10)");
  CHECK(error_of("784") ==
        "invalid architecture '784': no layer: give the input size and at least one more width "
        "(e.g. 784-10)");
  CHECK(error_of("relu-10") ==
        "invalid architecture 'relu-10': it must start with the input size, not the activation "
        "'relu'");
  CHECK(error_of("784-relu-10") ==
        "invalid architecture '784-relu-10': item 2 'relu': an activation needs a layer before "
        "it (after the input size comes a width)");
  CHECK(error_of("784-51x-10") ==
        "invalid architecture '784-51x-10': item 2 '51x' is neither a width (1 to 16777216) nor "
        "an activation (relu, tanh, sigmoid, gelu, gelu:tanh, leaky_relu, leaky_relu:SLOPE)");
  CHECK(error_of("784--10") ==
        "invalid architecture '784--10': item 2 is empty (two '-' in a row, or one at an end)");
  CHECK(error_of("784-10-") ==
        "invalid architecture '784-10-': item 3 is empty (two '-' in a row, or one at an end)");
  CHECK(error_of("784-0-10") ==
        "invalid architecture '784-0-10': item 2 '0': widths must be 1 to 16777216");
  CHECK(error_of("784-99999999999-10").find("widths must be 1 to 16777216") != std::string::npos);
  CHECK(error_of("4-8-relu-tanh-1") ==
        "invalid architecture '4-8-relu-tanh-1': item 4 'tanh' follows another activation");
  CHECK(error_of("4-8-relu:2-1") ==
        "invalid architecture '4-8-relu:2-1': item 3 'relu:2': relu takes no parameter");
  CHECK(error_of("4-8-leaky_relu:x-1") ==
        "invalid architecture '4-8-leaky_relu:x-1': item 3 'leaky_relu:x': the slope 'x' is not "
        "a non-negative number");
  CHECK(error_of("4-8-gelu:fast-1").find("gelu's only option is ':tanh'") != std::string::npos);
  CHECK(error_of("4-8-RELU-1").find("item 3 'RELU' is neither") != std::string::npos);
  CHECK(error_of("16777216-16777216-16777216").find("parameters") != std::string::npos);
}
