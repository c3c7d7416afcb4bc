// Writes prepared checkpoints to their files: either at once on the calling thread, or on one
// background thread while training goes on. At most one job is in flight; its result (bytes
// written, or the error) is kept until the owner takes it, so no failure is lost.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/save.h"
#include "nnstate/nnstate.h"

namespace nnstate::checkpoint {

// Points of a save, for tests that must stop a writer at an exact point (never for timing).
enum class WritePhase {
  begin,      // on the writer's thread, before the temporary file of a target is created
  written,    // the temporary file is complete, not yet fsynced and renamed
  committed,  // renamed over the target (and synced), retention not yet applied
  waiting,    // on the training thread: a save is due and waits for the one in flight
};
using WriteHook = std::function<void(WritePhase phase, const std::string &path)>;

// One file of a job, with what must happen once it is complete (pruning, the best.nnst link):
// retention runs only after the new checkpoint is on disk.
struct WriteTarget {
  std::string path;
  std::function<void()> after_commit;
};

struct WriteJob {
  // Runs first, on the writer's thread (e.g. faulting in a new staging buffer). A job with a
  // preparation and no targets is a warm-up: its result has no paths.
  std::function<void()> prepare;
  std::unique_ptr<CheckpointImage> image;
  std::vector<WriteTarget> targets;
  bool sync = true;           // fsync file and directory
  int64_t global_step = 0;    // the position the image holds, for the report
  bool asynchronous = false;  // written by the background thread
};

struct WriteResult {
  nnstate_status status = NNSTATE_OK;
  std::string message;             // why it failed ("" on success)
  std::vector<std::string> paths;  // the targets of the job, in order
  uint64_t bytes = 0;              // bytes of the files completed
  int64_t global_step = 0;
  bool asynchronous = false;
};

// Writes every target in order, stopping at the first failure; never throws.
WriteResult run_write_job(WriteJob &job, const WriteHook &hook);

class BackgroundWriter {
 public:
  explicit BackgroundWriter(WriteHook hook) : hook_(std::move(hook)) {}
  // Waits for the job in flight (an unreported result is dropped: take it before).
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter &) = delete;
  BackgroundWriter &operator=(const BackgroundWriter &) = delete;

  // True while a job is being written.
  bool busy() const;
  // Hands `job` (its image staged: it must not read live tensors) to the writer thread, which
  // is started on first use. Requires !busy() and no untaken result.
  void start(WriteJob job);
  // Blocks until no job is in flight.
  void wait();
  // The finished job's result, once (empty while busy or when already taken).
  std::optional<WriteResult> take_result();

 private:
  void run();

  WriteHook hook_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<WriteJob> job_;        // set by start(), cleared by the thread when done
  std::optional<WriteResult> result_;  // set by the thread, cleared by take_result()
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace nnstate::checkpoint
