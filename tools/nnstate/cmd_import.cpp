// `nnstate import WEIGHTS -o OUT.nnst`: weights from a .safetensors file (or another checkpoint)
// into a network -- built from --arch or --model, taken from --into's checkpoint, or described
// by the file's own metadata -- saved as a checkpoint.
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.h"
#include "checkpoint_io.h"
#include "commands.h"
#include "model_source.h"

namespace nnstate_cli {
namespace {

// Metadata key of the architecture in the safetensors files the library writes.
constexpr const char *kSafetensorsArchitecture = "nnstate.architecture";

const CommandSpec kImportSpec = {
    "import",
    "WEIGHTS -o OUT.nnst [--arch SPEC | --model FILE | --into CKPT]",
    "Loads the tensors of WEIGHTS (a .safetensors file, e.g. from PyTorch, or a checkpoint) by\n"
    "name into a network and saves it as the checkpoint OUT.nnst. The network is built from\n"
    "--arch or --model, or is the network of the checkpoint --into (whose optimizer state and\n"
    "metadata are kept), or else is the architecture stored in WEIGHTS' metadata\n"
    "(nnstate.architecture, which 'nnstate export' writes). F16, BF16, F64 and I64 tensors are\n"
    "converted to float32. By default every tensor must match (name and shape) and every\n"
    "difference is listed; --partial loads what matches and lists the rest.",
    {{"Network",
      {{"arch", "SPEC", "an MLP spec, as 'nnstate train --arch' (e.g. 784-256-relu-10)"},
       {"model", "FILE", "a network JSON document, as 'nnstate train --model'"},
       {"into", "CKPT", "the network of this checkpoint (OUT may be CKPT itself)"},
       {"seed", "N", "initialisation seed of tensors the file does not provide (default 0)"}}},
     {"Selection",
      {{"partial", nullptr, "load the matching tensors and list the others instead of failing"},
       {"rename", "FROM=TO", "rename WEIGHTS' names starting with FROM (repeatable)"},
       {"skip", "PATTERN", "leave out WEIGHTS' names matching the glob PATTERN (repeatable)"}}},
     {"Output", {{"output", "OUT.nnst", "the checkpoint to write (also -o OUT.nnst)"}}}},
    "Example: nnstate import resnet.safetensors --model finetune.json --rename "
    "backbone.=features.\n"
    "         --skip 'fc.*' --partial -o start.nnst\n"
    "Exit status: 0 written, 1 a file is missing or invalid or the tensors do not match, 2 usage\n"
    "error.",
    1,
};

// The architecture WEIGHTS records: a safetensors file's metadata, or a checkpoint's own.
std::string stored_architecture(const std::string &weights) {
  try {
    return nnstate::safetensors_metadata(weights, kSafetensorsArchitecture);
  } catch (const nnstate::Error &e) {
    if (e.status() != NNSTATE_ERR_CORRUPT) throw;
    try {
      return nnstate::Checkpoint(weights).network_json();
    } catch (const nnstate::Error &) {
      throw e;  // neither: the safetensors reason is the one to give
    }
  }
}

// The library lists every mismatch on its own line; the program's errors are one line.
std::string one_line(std::string message) {
  for (size_t at; (at = message.find("\n  ")) != std::string::npos;) message.replace(at, 3, "; ");
  return message;
}

struct Target {
  nnstate::Network network;
  nnstate::Metadata metadata;  // what OUT records for the other commands
};

Target target_network(const Args &args, const std::string &weights) {
  const int sources = args.has("arch") + args.has("model") + args.has("into");
  if (sources > 1) args.fail("give one of --arch, --model and --into");
  const uint64_t seed = static_cast<uint64_t>(args.integer("seed", 0, 0, INT64_MAX));
  if (args.has("arch")) {
    ModelSource m = arch_model(args.text("arch"), seed);
    return {std::move(m.network), {{kMetaArch, args.text("arch")}}};
  }
  if (args.has("model")) {
    ModelSource m = file_model(args.text("model"), seed);
    return {std::move(m.network), {{kMetaModel, m.document}}};
  }
  if (args.has("into")) {
    const std::string into = args.text("into");
    const std::map<std::string, std::string> kept = checkpoint_metadata(into);
    return {load_network(into, NNSTATE_LOAD_FULL), nnstate::Metadata(kept.begin(), kept.end())};
  }
  const std::string document =
      in_context(weights + ": no --arch, --model or --into, and its architecture",
                 [&] { return stored_architecture(weights); });
  ModelSource m = document_model(document, weights, seed);
  return {std::move(m.network), {{kMetaModel, m.document}}};
}

void print_list(const char *what, const std::vector<std::string> &names) {
  if (names.empty()) return;
  std::printf("  %s (%zu):", what, names.size());
  for (const std::string &n : names) std::printf(" %s", n.c_str());
  std::printf("\n");
}

}  // namespace

int cmd_import(int argc, char **argv) {
  std::vector<char *> rewritten(argv, argv + argc);
  char output_option[] = "--output";
  for (char *&a : rewritten) {
    if (std::strcmp(a, "-o") == 0) a = output_option;
  }
  const Args args = Args::parse(kImportSpec, argc, rewritten.data());
  if (args.help()) {
    print_help(kImportSpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the WEIGHTS file");
  const std::string output = args.text("output");
  if (output.empty()) args.fail("missing -o OUT.nnst");
  const std::string weights = args.positionals()[0];
  nnstate::PartialLoad how;
  how.strict = !args.flag("partial");
  for (const std::string &r : args.every("rename")) {
    const size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0) args.fail("--rename: '" + r + "' is not FROM=TO");
    how.renames.emplace_back(r.substr(0, eq), r.substr(eq + 1));
  }
  how.skip = args.every("skip");

  Target target = target_network(args, weights);
  nnstate::LoadReport report;
  try {
    report = nnstate::load_partial(target.network, weights, how);
  } catch (const nnstate::Error &e) {
    throw std::runtime_error("importing " + weights + ": " + one_line(e.message()));
  }
  in_context("writing " + output, [&] { target.network.save(output, target.metadata); });
  std::printf("imported %zu tensors from %s into %s\n", report.loaded.size(), weights.c_str(),
              output.c_str());
  print_list("skipped", report.skipped);
  print_list("missing (left as initialised)", report.missing);
  print_list("unexpected (not loaded)", report.unexpected);
  print_list("mismatched (not loaded)", report.mismatched);
  return kExitOk;
}

}  // namespace nnstate_cli
