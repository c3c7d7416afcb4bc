// nnstate-onnx-export MODEL.nnst -o MODEL.onnx: the ONNX exporter as a program, for the tests
// (the user-facing command is `nnstate export`). Exit 0 on success, 1 on failure, 2 on usage.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "onnx_export.h"

int main(int argc, char **argv) {
  if (argc != 4 || std::strcmp(argv[2], "-o") != 0) {
    std::fprintf(stderr, "usage: %s MODEL.nnst -o MODEL.onnx\n", argv[0]);
    return 2;
  }
  try {
    nnstate_load_options options;
    nnstate::check(nnstate_load_options_init(&options));
    options.what = NNSTATE_LOAD_WEIGHTS_ONLY;
    const nnstate::Network network = nnstate::Network::load(argv[1], options);
    nnstate_onnx::export_onnx_file(network, argv[3]);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nnstate-onnx-export: %s\n", e.what());
    return 1;
  }
  return 0;
}
