// `nnstate export MODEL.nnst -o OUT`: a checkpoint's network in another format, chosen by the
// output file's extension from the table below (one row per format).
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.h"
#include "checkpoint_io.h"
#include "commands.h"
#ifdef NNSTATE_CLI_ONNX
#include "onnx_export.h"  // tools/onnx, built when libonnx-dev is found (NNSTATE_ONNX)
#endif

namespace nnstate_cli {
namespace {

// Writes `network` (loaded from the checkpoint `input`, weights only) to `output`.
using ExportWriter = void (*)(nnstate::Network &network, const std::string &input,
                              const std::string &output);

void write_safetensors(nnstate::Network &network, const std::string &, const std::string &output) {
  in_context("writing " + output, [&] { nnstate::save_safetensors(network, output); });
}

// Eval-mode semantics (BatchNorm's running statistics, Dropout as the identity); a kind or option
// without a faithful ONNX form fails naming the node.
void write_onnx(nnstate::Network &network, const std::string &, const std::string &output) {
#ifdef NNSTATE_CLI_ONNX
  in_context("writing " + output, [&] { nnstate_onnx::export_onnx_file(network, output); });
#else
  (void)network;
  throw std::runtime_error("cannot write " + output +
                           ": this nnstate was built without ONNX export (NNSTATE_ONNX=OFF; "
                           "it needs Debian's libonnx-dev)");
#endif
}

struct ExportFormat {
  const char *extension;  // of the output file, with its dot
  const char *name;
  ExportWriter write;
};

const ExportFormat kExportFormats[] = {
    {".safetensors", "safetensors (PyTorch state_dict names, architecture in the metadata)",
     write_safetensors},
    {".onnx", "ONNX (opset 13, eval mode, input \"input\" with a dynamic batch)", write_onnx},
};

const ExportFormat *format_of(const std::string &path) {
  for (const ExportFormat &f : kExportFormats) {
    const size_t n = std::strlen(f.extension);
    if (path.size() > n && path.compare(path.size() - n, n, f.extension) == 0) return &f;
  }
  return nullptr;
}

std::string known_extensions() {
  std::string list;
  for (const ExportFormat &f : kExportFormats)
    list += (list.empty() ? "" : ", ") + std::string(f.extension);
  return list;
}

const CommandSpec kExportSpec = {
    "export",
    "MODEL.nnst -o OUT",
    "Writes the network of the checkpoint MODEL.nnst (its parameters and buffers) in the format\n"
    "OUT's extension names:\n"
    "  .safetensors  safetensors with PyTorch state_dict names, loadable by\n"
    "                torch.nn.Module.load_state_dict(strict=True) of the equivalent module; the\n"
    "                network's JSON document and the library version are in its metadata\n"
    "  .onnx         ONNX opset 13 in eval mode (BatchNorm's running statistics, no\n"
    "                Dropout), input \"input\" [batch, ...], output \"output\"; a layer without\n"
    "                a faithful ONNX form is refused, naming the node\n"
    "The output is written crash-safely: on failure a previous OUT is untouched.",
    {{"Options", {{"output", "OUT", "the file to write (also -o OUT)"}}}},
    "Exit status: 0 written, 1 the checkpoint is missing or invalid or OUT cannot be written,\n"
    "2 usage error (an unknown extension among them).",
    1,
};

}  // namespace

int cmd_export(int argc, char **argv) {
  std::vector<char *> rewritten(argv, argv + argc);
  char output_option[] = "--output";
  for (char *&a : rewritten) {
    if (std::strcmp(a, "-o") == 0) a = output_option;
  }
  const Args args = Args::parse(kExportSpec, argc, rewritten.data());
  if (args.help()) {
    print_help(kExportSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the checkpoint MODEL.nnst");
  const std::string output = args.text("output");
  if (output.empty()) args.fail("missing -o OUT");
  const ExportFormat *format = format_of(output);
  if (!format) {
    args.fail("cannot tell the format of '" + output +
              "' (known extensions: " + known_extensions() + ")");
  }
  const std::string input = args.positionals()[0];
  nnstate::Network network = load_network(input, NNSTATE_LOAD_WEIGHTS_ONLY);
  format->write(network, input, output);
  std::printf("wrote %s (%s)\n", output.c_str(), format->extension + 1);
  return kExitOk;
}

}  // namespace nnstate_cli
