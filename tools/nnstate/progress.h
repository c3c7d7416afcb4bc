// Training output: one line per epoch (for logs and scripts), and on a terminal a progress bar
// redrawn in place during the epoch (batches, samples/s, running loss, ETA).
#pragma once

#include <nnstate/nnstate.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace nnstate_cli {

class Progress {
 public:
  // `epoch_offset`: epochs completed before this trainer started (resumed runs), added to the
  // epoch numbers shown; `total_epochs` counts them too.
  Progress(FILE *out, bool bar, int64_t total_epochs, int64_t epoch_offset);

  // Training (re)starts: the clock of the current epoch starts now.
  void start();
  void batch(const nnstate_batch_info &info);
  // Prints the epoch's line; returns its wall time.
  double epoch(const nnstate_epoch_info &info);
  // Clears a partly drawn bar (before other output).
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  FILE *out_;
  bool bar_;
  int64_t total_epochs_, epoch_offset_;
  Clock::time_point epoch_start_, last_draw_;
  int64_t epoch_samples_ = 0;
  bool drawn_ = false;
};

// "epoch 3/10 loss=0.4321 accuracy=..." (see kTrainSpec's epilog)
std::string epoch_line(const nnstate_epoch_info &info, int64_t shown_epoch, int64_t total_epochs,
                       double seconds, double samples_per_second);

}  // namespace nnstate_cli
