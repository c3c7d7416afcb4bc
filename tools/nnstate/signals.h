// SIGINT and SIGTERM ask a running fit to stop at the next batch boundary (through
// Trainer::request_stop, documented as safe in a signal handler); the program then saves and
// exits with 128 + the signal number. A second signal terminates at once.
#pragma once

#include <nnstate/nnstate.hpp>

namespace nnstate_cli {

void install_stop_signals();
// The trainer the handler stops; nullptr when none is running.
void set_stop_target(nnstate::Trainer *trainer);
// The first stop signal received (SIGINT, SIGTERM), or 0.
int stop_signal();

}  // namespace nnstate_cli
