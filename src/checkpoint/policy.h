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

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "callbacks/early_stopping.h"
#include "checkpoint/background_writer.h"
#include "tensor/tensor.h"
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
  // Asynchronous saves: the training thread copies the state into a staging buffer it reuses
  // and a background thread writes the file (same crash-safety). At most one save is in
  // flight; a save due meanwhile waits for it, or -- periodic saves only, with
  // skip_when_busy -- is skipped and counted. Best and final saves always wait.
  bool async = false;
  bool skip_when_busy = false;
  // Bound of the staging buffer (0: none); a checkpoint whose tensors need more is written
  // synchronously instead (counted in SaveStats::synchronous_fallbacks).
  uint64_t max_staging_bytes = 0;
  // Called on the training thread once each save is complete or has failed (a background
  // save: at the trainer's next boundary or flush). Returning false stops training.
  std::function<bool(const WriteResult &)> on_save;
  WriteHook write_hook;         // tests: stops a save at a phase
  int64_t created_unix_ns = 0;  // tests: a fixed creation time (0: now)
};

struct SaveStats {
  int64_t completed = 0;  // saves whose files are all on disk
  int64_t failed = 0;
  int64_t skipped = 0;                // periodic saves skipped because one was in flight
  int64_t waited = 0;                 // saves that waited for the one in flight
  int64_t synchronous_fallbacks = 0;  // async saves written synchronously (staging bound)
  uint64_t bytes_written = 0;         // bytes of all completed files
  uint64_t staging_peak_bytes = 0;    // the staging buffer's largest size
  // Wall time the training thread spent in saves: waiting for the one in flight, building and
  // staging the snapshot, or writing synchronously (a measurement, not part of any result).
  double stall_seconds = 0.0;
};

class CheckpointPolicy final : public TrainerObserver {
 public:
  // Creates the directory if needed and removes temporary files a killed save left behind.
  explicit CheckpointPolicy(const PolicyConfig &config);
  // Waits for the save in flight (its result, if not flushed, is dropped).
  ~CheckpointPolicy() override;

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

  // Waits for the save in flight and reports it (on_save; throws its error). on_save asks
  // `trainer` (may be null) to stop when it returns false.
  void flush(Trainer *trainer);
  // Blocks until no save is in flight, reporting nothing (tests use it to order events).
  void wait_idle();
  bool busy() const { return writer_ && writer_->busy(); }
  const SaveStats &stats() const { return stats_; }

 private:
  WriteTarget periodic_target(Trainer &trainer);
  // The target of best-e<epoch>.nnst when the last epoch improved the monitor, else none.
  std::vector<WriteTarget> best_target(Trainer &trainer);
  // Saves the current state to `targets`. Returns false when the save was skipped.
  bool save(Trainer &trainer, std::vector<WriteTarget> targets, bool may_skip);
  void save_periodic(Trainer &trainer, bool may_skip);
  // Allocates the staging buffer for the trainer's state and has the writer fault it in, so
  // that the first save costs only its copy.
  void warm_up(Trainer &trainer);
  void collect(Trainer *trainer);
  void report(const WriteResult &result, Trainer *trainer);

  PolicyConfig config_;
  std::string monitor_;  // the metric "best" follows in this fit
  MonitorMode mode_;
  int64_t last_saved_step_ = -1;
  std::string last_saved_;
  SaveStats stats_;
  Tensor staging_;             // reused by every asynchronous save
  uint64_t staging_size_ = 0;  // bytes of staging_ ready (faulted in)
  bool warm_up_tried_ = false;
  bool warming_up_ = false;  // the writer's job in flight is warm_up's
  // Last: destroyed first, so the thread is done before the staging buffer goes.
  std::unique_ptr<BackgroundWriter> writer_;
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
