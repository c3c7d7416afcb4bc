// The fit loop of `nnstate train`: progress output, trainer checkpoints by the library's
// checkpoint policy, DIR/last.nnst (with the cli.* metadata) when fit returns, and a clean
// stop on SIGINT/SIGTERM.
#pragma once

#include <nnstate/nnstate.hpp>

#include <string>

#include "checkpoint_io.h"
#include "progress.h"

namespace nnstate_cli {

struct TrainLoop {
  nnstate::Trainer *trainer = nullptr;
  const nnstate::Dataset *train = nullptr;
  const nnstate::Dataset *validation = nullptr;  // may be null
  Progress *progress = nullptr;
  std::string checkpoint_dir;     // empty: no checkpoints
  std::string output;             // -o FILE: saved like DIR/last.nnst (empty: not saved)
  nnstate::Metadata metadata;     // written into DIR/last.nnst (besides epochs and history)
  int64_t crash_after_steps = 0;  // > 0: raise(SIGKILL) right after this global step
};

// Trains to the end, early stopping or a stop signal. Returns the exit status: 0, or 128 +
// the signal number when a signal stopped it.
int run_training(TrainLoop &loop);

// Where the trainer is, in the words every message uses (epochs count from 1):
// "after epoch 3 (step 57)" at an epoch's end, "in epoch 4 after batch 3 (step 60)" inside it.
std::string position_text(const nnstate::Trainer &trainer);

// The header of TrainLoop::history.
constexpr const char *kHistoryHeader = "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n";

}  // namespace nnstate_cli
