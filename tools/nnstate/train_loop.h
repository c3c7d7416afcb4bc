// The fit loop of `nnstate train`: progress output, a checkpoint at every epoch boundary, and
// a clean stop on SIGINT/SIGTERM.
#pragma once

#include <nnstate/nnstate.h>

#include <string>

#include "checkpoint_io.h"
#include "progress.h"

namespace nnstate_cli {

struct TrainLoop {
  nnstate_network *network = nullptr;
  nnstate_trainer *trainer = nullptr;
  const nnstate_dataset *train = nullptr;
  const nnstate_dataset *validation = nullptr;  // may be null
  Progress *progress = nullptr;
  std::string checkpoint_dir;  // empty: no checkpoints
  Metadata metadata;           // written into every checkpoint (besides epochs and history)
  std::string history;         // CSV rows of earlier epochs (resumed runs)
  int64_t epochs_before = 0;   // epochs completed before this trainer (resumed runs)
};

// Trains to the end, early stopping or a stop signal. Returns the exit status: 0, or 128 +
// the signal number when a signal stopped it.
int run_training(TrainLoop &loop);

// The header of TrainLoop::history.
constexpr const char *kHistoryHeader = "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n";

}  // namespace nnstate_cli
