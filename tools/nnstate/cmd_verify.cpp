// `nnstate verify FILE...`: a full integrity check of each file, one line per file.
#include <cstdint>
#include <cstdio>

#include "args.h"
#include "checkpoint_view.h"
#include "commands.h"

namespace nnstate_cli {
namespace {

const CommandSpec kVerifySpec = {
    "verify",
    "FILE...",
    "Checks every byte of each checkpoint FILE as the library does before loading it: the\n"
    "header and its CRC, the manifest's CRC and structure, the consistency of its fields, the\n"
    "CRC32C of every tensor, and that all padding is zero. Prints one line per file:\n"
    "  OK run1/last.nnst\n"
    "  FAIL run2/last.nnst: tensor \"0.weight\" (...): CRC32C mismatch (stored ..., computed ...)",
    {},
    "Exit status: 0 every file is valid, 1 at least one is not (or cannot be read), 2 usage\n"
    "error.",
    SIZE_MAX,
};

}  // namespace

int cmd_verify(int argc, char **argv) {
  const Args args = Args::parse(kVerifySpec, argc, argv);
  if (args.help()) {
    print_help(kVerifySpec, stdout);
    return kExitOk;
  }
  if (args.positionals().empty()) args.fail("missing the checkpoint FILE(s)");
  int status = kExitOk;
  for (const std::string &path : args.positionals()) {
    try {
      nnstate::verify_checkpoint(path);
      std::printf("OK %s\n", path.c_str());
    } catch (const nnstate::Error &e) {
      // The library's message may span lines; the report keeps one line per file.
      std::string message = file_error(path, e);
      for (char &c : message) c = c == '\n' ? ' ' : c;
      std::printf("FAIL %s: %s\n", path.c_str(), message.c_str());
      status = kExitFailure;
    }
    std::fflush(stdout);  // a line per file as soon as it is known, for long lists
  }
  return status;
}

}  // namespace nnstate_cli
