#include "checkpoint/policy.h"

#include "checkpoint/load.h"
#include "checkpoint/save.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "checkpoint/container.h"
#include "checkpoint/io.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

constexpr const char *kPeriodicPrefix = "ckpt-";
constexpr const char *kBestPrefix = "best-e";
constexpr const char *kSuffix = ".nnst";

bool starts_with(const std::string &s, const char *prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string &s, const char *suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Names in `directory` (none when it does not exist).
std::vector<std::string> list_directory(const std::string &directory) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR *)> dir(opendir(directory.c_str()), closedir);
  if (!dir) {
    if (errno == ENOENT) return names;
    fail(NNSTATE_ERR_IO,
         "cannot list the checkpoint directory \"" + directory + "\": " + errno_text(errno));
  }
  while (const dirent *entry = readdir(dir.get())) names.push_back(entry->d_name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::string &directory, const std::string &name) {
  return directory + "/" + name;
}

std::string padded(int64_t value, int width) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*lld", width, static_cast<long long>(value));
  return text;
}

void remove_file(const std::string &path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    fail(NNSTATE_ERR_IO, "cannot remove \"" + path + "\": " + errno_text(errno));
  }
}

// Removes all but the newest `keep` files named <prefix>*.nnst (0: keeps all); names sort
// chronologically.
void keep_newest(const std::string &directory, const char *prefix, int64_t keep) {
  if (keep == 0) return;
  std::vector<std::string> files;
  for (const std::string &n : list_directory(directory)) {
    if (starts_with(n, prefix) && ends_with(n, kSuffix)) files.push_back(n);
  }
  for (size_t i = 0; i + static_cast<size_t>(keep) < files.size(); ++i) {
    remove_file(join(directory, files[i]));
  }
}

// best.nnst becomes a second name of `path`: a hard link renamed into place is atomic.
void link_best(const std::string &directory, const std::string &path) {
  const std::string best = join(directory, "best.nnst");
  const std::string temporary = best + ".tmp-link";
  remove_file(temporary);
  if (::link(path.c_str(), temporary.c_str()) != 0 ||
      ::rename(temporary.c_str(), best.c_str()) != 0) {
    const int error = errno;
    remove_file(temporary);
    fail(NNSTATE_ERR_IO, "cannot update \"" + best + "\": " + errno_text(error));
  }
}

// Resizes the staging buffer to hold `bytes` without touching its memory.
unsigned char *resize_staging(Tensor &staging, uint64_t bytes) {
  staging.resize(Shape{static_cast<int64_t>(std::max<uint64_t>(bytes, 64) / sizeof(float))});
  return reinterpret_cast<unsigned char *>(staging.data());
}

// Faults in [data, data + bytes) with one call: page faults taken one by one by the first copy
// cost ~10x the copy itself on these machines. A failure (an old kernel) only leaves the
// faults to the copy.
void fault_in(unsigned char *data, uint64_t bytes) {
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (start + page - 1) / page * page;  // the tensor is 64-byte aligned
  const uintptr_t end = start + bytes;
  if (end > first) ::madvise(reinterpret_cast<void *>(first), end - first, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)bytes;
#endif
}

// Adds the wall time of its scope to `total`, however the scope is left.
class StallTimer {
 public:
  explicit StallTimer(double &total) : total_(total) {}
  ~StallTimer() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  StallTimer(const StallTimer &) = delete;
  StallTimer &operator=(const StallTimer &) = delete;

 private:
  double &total_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

bool is_better(MonitorMode mode, double value, double reference) {
  return mode == MonitorMode::max ? value > reference : value < reference;
}

}  // namespace

CheckpointPolicy::CheckpointPolicy(const PolicyConfig &config) : config_(config) {
  if (config.directory.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, "checkpoint directory is empty");
  if (config.every_epochs < 0 || config.every_steps < 0 || config.keep_last < 0 ||
      config.keep_best < 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "checkpoint policy counts must be >= 0 (every_epochs, every_steps, keep_last, keep_best)");
  }
  if (config.keep_best > 0) require_history_metric(config.monitor, "the checkpoint policy");
  prepare_fit(true);
  if (::mkdir(config.directory.c_str(), 0777) != 0 && errno != EEXIST) {
    fail(NNSTATE_ERR_IO, "cannot create the checkpoint directory \"" + config.directory +
                             "\": " + errno_text(errno));
  }
  // A save killed mid-way leaves only its temporary file; the real checkpoints are intact.
  for (const std::string &name : list_directory(config.directory)) {
    if (is_temporary_name(name)) remove_file(join(config.directory, name));
  }
}

std::string CheckpointPolicy::prepare_fit(bool has_validation) {
  monitor_ = config_.monitor;
  std::string warning;
  if (!has_validation && config_.keep_best > 0 && starts_with(monitor_, "val_")) {
    monitor_ = monitor_.substr(4);
    warning = "checkpoint policy: no validation data, so the best checkpoint follows \"" +
              monitor_ + "\" instead of \"" + config_.monitor + "\"";
  }
  EarlyStoppingConfig monitor;
  monitor.monitor = monitor_;
  monitor.mode = config_.mode;
  mode_ = resolve_monitor_mode(monitor);
  return warning;
}

CheckpointPolicy::~CheckpointPolicy() = default;

WriteTarget CheckpointPolicy::periodic_target(Trainer &trainer) {
  const TrainerState &s = trainer.state();
  const std::string name = std::string(kPeriodicPrefix) + "e" + padded(s.epoch, 6) + "-s" +
                           padded(s.global_step, 12) + kSuffix;
  WriteTarget target;
  target.path = join(config_.directory, name);
  target.after_commit = [directory = config_.directory, keep = config_.keep_last] {
    keep_newest(directory, kPeriodicPrefix, keep);
  };
  return target;
}

// The best epoch so far is derived from the checkpointed history, so the policy has no state
// of its own to lose.
std::vector<WriteTarget> CheckpointPolicy::best_target(Trainer &trainer) {
  const std::vector<HistoryRow> &history = trainer.state().history;
  if (config_.keep_best == 0 || history.empty()) return {};
  const double value = history_metric(history.back(), monitor_);
  if (std::isnan(value)) return {};
  for (size_t i = 0; i + 1 < history.size(); ++i) {
    const double earlier = history_metric(history[i], monitor_);
    if (!std::isnan(earlier) && !is_better(mode_, value, earlier)) return {};
  }
  const int64_t epoch = history.back().epoch + 1;  // 1-based, as the epochs ckpt-e* counts
  WriteTarget target;
  target.path = join(config_.directory, std::string(kBestPrefix) + padded(epoch, 6) + kSuffix);
  target.after_commit = [directory = config_.directory, path = target.path,
                         keep = config_.keep_best] {
    link_best(directory, path);
    // Each new best beats all earlier ones, so the newest best-e files are the best ones.
    keep_newest(directory, kBestPrefix, keep);
  };
  return {target};
}

bool CheckpointPolicy::save(Trainer &trainer, std::vector<WriteTarget> targets, bool may_skip) {
  const StallTimer timer(stats_.stall_seconds);  // all of this blocks the training thread
  collect(&trainer);
  if (busy() && warming_up_) {
    writer_->wait();  // a warm-up is never a reason to skip or count a wait
    collect(&trainer);
  }
  if (busy()) {
    if (may_skip && config_.skip_when_busy) {
      ++stats_.skipped;
      return false;
    }
    if (config_.write_hook) config_.write_hook(WritePhase::waiting, targets.front().path);
    ++stats_.waited;
    writer_->wait();
  }
  // Also when busy() was already false: a write that ended after the first collect() left its
  // result behind, and the writer takes no job before it is collected.
  collect(&trainer);
  SaveOptions options;
  options.sync = config_.sync;
  options.metadata = config_.metadata;
  options.trainer = &trainer;
  options.created_unix_ns = config_.created_unix_ns;
  WriteJob job;
  job.image = std::make_unique<CheckpointImage>(trainer.model(), options);
  job.targets = std::move(targets);
  job.sync = config_.sync;
  job.global_step = trainer.state().global_step;

  const uint64_t staged = job.image->data_bytes();
  const bool fits = config_.max_staging_bytes == 0 || staged <= config_.max_staging_bytes;
  if (!config_.async || !fits) {
    if (config_.async) ++stats_.synchronous_fallbacks;
    report(run_write_job(job, config_.write_hook), &trainer);
    return true;
  }
  // Reused: only a larger state grows it, so steady-state saves fault no pages in.
  if (staged > staging_size_) {
    fault_in(resize_staging(staging_, staged), staged);
    staging_size_ = staged;
  }
  stats_.staging_peak_bytes = std::max(stats_.staging_peak_bytes, staged);
  job.image->stage(reinterpret_cast<unsigned char *>(staging_.data()));
  if (!writer_) writer_ = std::make_unique<BackgroundWriter>(config_.write_hook);
  warming_up_ = false;
  writer_->start(std::move(job));
  return true;
}

void CheckpointPolicy::save_periodic(Trainer &trainer, bool may_skip) {
  const int64_t step = trainer.state().global_step;
  if (step == last_saved_step_) return;  // this position is already on disk (or being written)
  WriteTarget target = periodic_target(trainer);
  const std::string path = target.path;
  if (!save(trainer, {std::move(target)}, may_skip)) return;
  last_saved_ = path;
  last_saved_step_ = step;
}

void CheckpointPolicy::warm_up(Trainer &trainer) {
  if (!config_.async || warm_up_tried_ || busy()) return;
  collect(&trainer);      // a save that ended since the last collect() must not block the writer
  warm_up_tried_ = true;  // once: the batches after it allocate nothing
  SaveOptions options;
  options.trainer = &trainer;
  const uint64_t bytes = CheckpointImage(trainer.model(), options).data_bytes();
  if (config_.max_staging_bytes != 0 && bytes > config_.max_staging_bytes) return;
  unsigned char *data = resize_staging(staging_, bytes);
  staging_size_ = bytes;
  stats_.staging_peak_bytes = std::max(stats_.staging_peak_bytes, bytes);
  WriteJob job;
  job.prepare = [data, bytes] { fault_in(data, bytes); };
  if (!writer_) writer_ = std::make_unique<BackgroundWriter>(config_.write_hook);
  writer_->start(std::move(job));
  warming_up_ = true;
}

void CheckpointPolicy::collect(Trainer *trainer) {
  if (!writer_) return;
  if (std::optional<WriteResult> result = writer_->take_result()) {
    warming_up_ = false;
    if (result->paths.empty()) {
      if (result->status != NNSTATE_OK) fail(result->status, result->message);
      return;  // a warm-up: not a save
    }
    report(*result, trainer);
  }
}

void CheckpointPolicy::report(const WriteResult &result, Trainer *trainer) {
  if (result.status == NNSTATE_OK) {
    ++stats_.completed;
  } else {
    ++stats_.failed;
    // Nothing of this position is on disk: a later save at the same step must happen.
    if (last_saved_step_ == result.global_step) last_saved_step_ = -1;
  }
  stats_.bytes_written += result.bytes;
  if (config_.on_save && !config_.on_save(result) && trainer) trainer->request_stop();
  if (result.status != NNSTATE_OK) {
    fail(result.status, result.asynchronous
                            ? "checkpoint save in the background failed: " + result.message
                            : result.message);
  }
}

void CheckpointPolicy::flush(Trainer *trainer) {
  if (!writer_) return;
  writer_->wait();
  collect(trainer);
}

void CheckpointPolicy::wait_idle() {
  if (writer_) writer_->wait();
}

void CheckpointPolicy::after_batch(Trainer &trainer) {
  collect(&trainer);
  warm_up(trainer);
  const int64_t step = trainer.state().global_step;
  if (config_.every_steps > 0 && step % config_.every_steps == 0) save_periodic(trainer, true);
}

void CheckpointPolicy::after_epoch(Trainer &trainer) {
  collect(&trainer);
  std::vector<WriteTarget> targets = best_target(trainer);
  const bool best = !targets.empty();
  const int64_t epoch = trainer.state().epoch;
  const int64_t step = trainer.state().global_step;
  const bool periodic =
      config_.every_epochs > 0 && epoch % config_.every_epochs == 0 && step != last_saved_step_;
  std::string periodic_path;
  if (periodic) {
    targets.push_back(periodic_target(trainer));
    periodic_path = targets.back().path;
  }
  if (targets.empty()) return;
  // One snapshot serves both files: they hold the same state.
  if (!save(trainer, std::move(targets), !best) || !periodic) return;
  last_saved_ = periodic_path;
  last_saved_step_ = step;
}

// The run ends (any reason): the final checkpoint is written and nothing is left in flight, so
// fit never returns success while a save could still fail.
void CheckpointPolicy::on_stop(Trainer &trainer) {
  flush(&trainer);
  if (config_.on_stop) save_periodic(trainer, false);
  flush(&trainer);
}

ResumeResult resume_latest(Trainer &trainer, const std::string &directory) {
  ResumeResult result;
  std::vector<std::string> candidates;
  for (const std::string &n : list_directory(directory)) {
    if (starts_with(n, kPeriodicPrefix) && ends_with(n, kSuffix)) candidates.push_back(n);
  }
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    const std::string path = join(directory, *it);
    std::vector<std::string> warnings;
    try {
      warnings = resume_trainer(trainer, path);
    } catch (const Error &e) {
      // A corrupt or foreign file must not stop the resume: fall back to the previous one.
      if (e.status() == NNSTATE_ERR_STATE || e.status() == NNSTATE_ERR_SHAPE_MISMATCH ||
          e.status() == NNSTATE_ERR_NOT_FOUND || e.status() == NNSTATE_ERR_OUT_OF_MEMORY) {
        throw;  // the file is fine but does not fit this trainer: the caller must know
      }
      result.warnings.push_back("skipped \"" + path + "\": " + e.what());
      continue;
    }
    result.found = true;
    result.path = path;
    result.warnings.insert(result.warnings.end(), warnings.begin(), warnings.end());
    return result;
  }
  return result;
}

}  // namespace nnstate::checkpoint
