// Checkpointing policy of a training run: periodic checkpoints every N epochs and/or steps and
// when the run stops, keeping the newest K; the best M by a monitored metric plus an always
// loadable best.nnst; and resuming from the newest checkpoint in the directory that verifies.
//
// Files in the directory (which belongs to one run at a time):
//   ckpt-e<epoch>-s<step>.nnst  periodic and on-stop checkpoints (zero-padded: names sort by time)
//   best-e<epoch>.nnst          the best M epochs by the monitor
// <epoch> counts completed epochs, so it is the 1-based number of the epoch a file ends (best-e3
// is the third epoch's result, ckpt-e3-s... was saved after the third epoch or in the fourth).
//   best.nnst                   a hard link to the best of them (replaced atomically)
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "callbacks/early_stopping.h"
#include "train/trainer.h"

namespace nnstate::checkpoint {

struct PolicyConfig {
  std::string directory;
  int64_t every_epochs = 1;  // 0: never
  int64_t every_steps = 0;   // 0: never
  bool on_stop = true;       // save when fit() returns, whatever the reason
  int64_t keep_last = 3;     // periodic checkpoints kept (0: all)
  int64_t keep_best = 1;     // best checkpoints kept (0: no best tracking)
  std::string monitor = "val_loss";
  MonitorMode mode = MonitorMode::auto_detect;
  bool sync = true;
  std::vector<std::pair<std::string, std::string>> metadata;
};

class CheckpointPolicy final : public TrainerObserver {
 public:
  // Creates the directory if needed and removes temporary files a killed save left behind.
  explicit CheckpointPolicy(const PolicyConfig &config);

  const PolicyConfig &config() const { return config_; }
  // Called before each fit. Without validation data a validation monitor ("val_loss") never has
  // a value, so "best" follows its training counterpart ("loss") instead: returns the warning
  // that says so ("" when the configured monitor is used).
  std::string prepare_fit(bool has_validation);
  void after_batch(Trainer &trainer) override;
  void after_epoch(Trainer &trainer) override;
  void on_stop(Trainer &trainer) override;

  // The path of the newest periodic checkpoint written so far ("" if none).
  const std::string &last_saved() const { return last_saved_; }

 private:
  void save_periodic(Trainer &trainer);
  void save_best_if_improved(Trainer &trainer);
  void save(Trainer &trainer, const std::string &path);

  PolicyConfig config_;
  std::string monitor_;  // the metric "best" follows in this fit
  MonitorMode mode_;
  int64_t last_saved_step_ = -1;
  std::string last_saved_;
};

struct ResumeResult {
  bool found = false;
  std::string path;                   // the checkpoint resumed from
  std::vector<std::string> warnings;  // skipped invalid files, environment differences
};

// Restores `trainer` from the newest ckpt-*.nnst in `directory` that verifies completely
// (header, manifest, every CRC). Invalid files are skipped with a warning; none at all is not
// an error (found = false). A missing directory counts as empty.
ResumeResult resume_latest(Trainer &trainer, const std::string &directory);

}  // namespace nnstate::checkpoint
