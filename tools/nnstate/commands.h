// The subcommands and how they end. Each parses its own arguments (argv after the
// subcommand's name) and returns the exit status, or throws: main prints "nnstate: <what()>"
// and exits with kExitUsage for a UsageError (args.h), else with the command's failure status
// (kExitFailure; diff uses 2, as diff(1)).
#pragma once

#include <nnstate/nnstate.hpp>

#include <stdexcept>
#include <string>

#include "args.h"

namespace nnstate_cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // runtime failure: a file, the data, the library
constexpr int kExitUsage = 2;    // the command line is wrong

// Who is to blame when the library refuses a call: the data or files (runtime), or option
// values taken from the command line (usage).
enum class Blame { runtime, usage };

// Runs `call` (calls of the C++ wrapper); a library failure (nnstate::Error) is rethrown as
// "<context>: <the library's message>", a UsageError when `blame` says so unless the library
// ran out of memory.
template <typename Call>
auto in_context(const std::string &context, Call &&call, Blame blame = Blame::runtime)
    -> decltype(call()) {
  try {
    return call();
  } catch (const nnstate::Error &e) {
    const std::string message = context + ": " + e.message();
    if (blame == Blame::usage && e.status() != NNSTATE_ERR_OUT_OF_MEMORY) {
      throw UsageError(message);
    }
    throw std::runtime_error(message);
  }
}

int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);

}  // namespace nnstate_cli
