// nnstate: the command-line program over libnnstate's public API (the C++ wrapper nnstate.hpp).
//
// Subcommands are a table; adding one (inspect, verify, ...) is one row and one function.
#include <nnstate/nnstate.h>

#include <cstdio>
#include <cstring>
#include <new>

#include "args.h"
#include "commands.h"

namespace {

using nnstate_cli::kExitFailure;
using nnstate_cli::kExitOk;
using nnstate_cli::kExitUsage;

using nnstate_cli::UsageError;

struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  int failure = kExitFailure;  // the exit status when it throws (usage errors aside)
};

const Command kCommands[] = {
    {"train", nnstate_cli::cmd_train, "train a network on IDX or CSV data"},
    {"evaluate", nnstate_cli::cmd_evaluate, "loss and accuracy of a checkpoint on data"},
    {"predict", nnstate_cli::cmd_predict, "predictions of a checkpoint as CSV"},
    {"inspect", nnstate_cli::cmd_inspect, "summary of a checkpoint: versions, state, sizes"},
    {"dump", nnstate_cli::cmd_dump, "a checkpoint's manifest as JSON"},
    {"verify", nnstate_cli::cmd_verify, "full integrity check of checkpoint files"},
    // As diff(1) and cmp(1): 1 means "they differ", so trouble (an unreadable file) is 2.
    {"diff", nnstate_cli::cmd_diff, "what differs between two checkpoints", 2},
    {"plot", nnstate_cli::cmd_plot, "training curves of a checkpoint as SVG"},
    {"export", nnstate_cli::cmd_export, "a checkpoint's network as .safetensors"},
    {"import", nnstate_cli::cmd_import, "weights of a .safetensors file into a checkpoint"},
};

// Every failure ends the same way: one line on stderr, after what stdout already holds.
int report(const char *message, int status) {
  std::fflush(stdout);
  std::fprintf(stderr, "nnstate: %s\n", message);
  return status;
}

int run(const Command &c, int argc, char **argv) {
  try {
    return c.run(argc, argv);
  } catch (const UsageError &e) {
    return report(e.what(), kExitUsage);
  } catch (const std::bad_alloc &) {
    return report("out of memory", kExitFailure);
  } catch (const std::exception &e) {
    return report(e.what(), c.failure);
  }
}

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
        if (!std::strcmp(argv[2], c.name)) return run(c, 1, sub);
      }
      throw UsageError(std::string("unknown command '") + argv[2] + "'");
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
    if (!std::strcmp(name, c.name)) return run(c, argc - 2, argv + 2);
  }
  throw UsageError(std::string("unknown command '") + name + "' (see 'nnstate --help')");
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return dispatch(argc, argv);
  } catch (const UsageError &e) {  // an unknown command
    return report(e.what(), kExitUsage);
  } catch (const std::exception &e) {
    return report(e.what(), kExitFailure);
  }
}
