// The subcommands. Each parses its own arguments (argv after the subcommand's name), returns
// the exit status, and throws Error for failures (main prints them).
#pragma once

namespace nnstate_cli {

int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_plot(int argc, char **argv);

}  // namespace nnstate_cli
