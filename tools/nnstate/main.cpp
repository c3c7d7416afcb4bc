// nnstate: the command-line program over libnnstate's public C API.
//
// Subcommands are a table; adding one (inspect, verify, ...) is one row and one function.
#include <nnstate/nnstate.h>

#include <cstdio>
#include <cstring>
#include <new>

#include "commands.h"
#include "error.h"

namespace {

using nnstate_cli::kExitFailure;
using nnstate_cli::kExitOk;
using nnstate_cli::kExitUsage;

struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

const Command kCommands[] = {
    {"train", nnstate_cli::cmd_train, "train a network on IDX or CSV data"},
    {"evaluate", nnstate_cli::cmd_evaluate, "loss and accuracy of a checkpoint on data"},
    {"predict", nnstate_cli::cmd_predict, "predictions of a checkpoint as CSV"},
    {"inspect", nnstate_cli::cmd_inspect, "summary of a checkpoint: versions, state, sizes"},
    {"dump", nnstate_cli::cmd_dump, "a checkpoint's manifest as JSON"},
    {"verify", nnstate_cli::cmd_verify, "full integrity check of checkpoint files"},
    {"diff", nnstate_cli::cmd_diff, "what differs between two checkpoints"},
    {"plot", nnstate_cli::cmd_plot, "training curves of a checkpoint as SVG"},
};

void print_usage(FILE *out) {
  std::fprintf(out,
               "Usage: nnstate COMMAND [options]\n"
               "\n"
               "Trains neural networks with libnnstate and never loses their training state.\n"
               "\n"
               "Commands:\n");
  for (const Command &c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\n"
               "Run 'nnstate COMMAND --help' for a command's options.\n"
               "  -h, --help     show this help\n"
               "  --version      show the program's and the library's versions\n"
               "\n"
               "Exit status: 0 ok, 1 runtime failure, 2 usage error, 128+N stopped by signal N.\n");
}

int dispatch(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  const char *name = argv[1];
  if (!std::strcmp(name, "-h") || !std::strcmp(name, "--help") || !std::strcmp(name, "help")) {
    if (argc > 2 && std::strcmp(name, "help") == 0) {
      char help[] = "--help";
      char *sub[] = {help, nullptr};
      for (const Command &c : kCommands) {
        if (!std::strcmp(argv[2], c.name)) return c.run(1, sub);
      }
      throw nnstate_cli::Error(kExitUsage, std::string("unknown command '") + argv[2] + "'");
    }
    print_usage(stdout);
    return kExitOk;
  }
  if (!std::strcmp(name, "--version")) {
    // The header's version is the one this program was built against.
    std::printf("nnstate %d.%d.%d (libnnstate %s, ABI %d)\n", NNSTATE_VERSION_MAJOR,
                NNSTATE_VERSION_MINOR, NNSTATE_VERSION_PATCH, nnstate_version_string(),
                static_cast<int>(nnstate_abi_version()));
    return kExitOk;
  }
  for (const Command &c : kCommands) {
    if (!std::strcmp(name, c.name)) return c.run(argc - 2, argv + 2);
  }
  throw nnstate_cli::Error(kExitUsage,
                           std::string("unknown command '") + name + "' (see 'nnstate --help')");
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return dispatch(argc, argv);
  } catch (const nnstate_cli::Error &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "nnstate: %s\n", e.what());
    return e.code();
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "nnstate: out of memory\n");
    return kExitFailure;
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "nnstate: %s\n", e.what());
    return kExitFailure;
  }
}
