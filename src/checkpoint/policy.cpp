#include "checkpoint/policy.h"

#include "checkpoint/load.h"
#include "checkpoint/save.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "checkpoint/container.h"
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
         "cannot list the checkpoint directory \"" + directory + "\": " + std::strerror(errno));
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
    fail(NNSTATE_ERR_IO, "cannot remove \"" + path + "\": " + std::strerror(errno));
  }
}

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
                             "\": " + std::strerror(errno));
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

void CheckpointPolicy::save(Trainer &trainer, const std::string &path) {
  SaveOptions options;
  options.sync = config_.sync;
  options.metadata = config_.metadata;
  options.trainer = &trainer;
  checkpoint::save(trainer.model(), path, options);
}

void CheckpointPolicy::save_periodic(Trainer &trainer) {
  const TrainerState &s = trainer.state();
  if (s.global_step == last_saved_step_) return;  // this position is already on disk
  const std::string name = std::string(kPeriodicPrefix) + "e" + padded(s.epoch, 6) + "-s" +
                           padded(s.global_step, 12) + kSuffix;
  last_saved_ = join(config_.directory, name);
  save(trainer, last_saved_);
  last_saved_step_ = s.global_step;
  if (config_.keep_last == 0) return;
  std::vector<std::string> periodic;
  for (const std::string &n : list_directory(config_.directory)) {
    if (starts_with(n, kPeriodicPrefix) && ends_with(n, kSuffix)) periodic.push_back(n);
  }
  // Names sort chronologically; remove all but the newest keep_last.
  for (size_t i = 0; i + static_cast<size_t>(config_.keep_last) < periodic.size(); ++i) {
    remove_file(join(config_.directory, periodic[i]));
  }
}

// The best epoch so far is derived from the checkpointed history, so the policy has no state
// of its own to lose.
void CheckpointPolicy::save_best_if_improved(Trainer &trainer) {
  const std::vector<HistoryRow> &history = trainer.state().history;
  if (config_.keep_best == 0 || history.empty()) return;
  const double value = history_metric(history.back(), monitor_);
  if (std::isnan(value)) return;
  for (size_t i = 0; i + 1 < history.size(); ++i) {
    const double earlier = history_metric(history[i], monitor_);
    if (!std::isnan(earlier) && !is_better(mode_, value, earlier)) return;
  }
  const int64_t epoch = history.back().epoch + 1;  // 1-based, as the epochs ckpt-e* counts
  const std::string path =
      join(config_.directory, std::string(kBestPrefix) + padded(epoch, 6) + kSuffix);
  save(trainer, path);
  // best.nnst becomes a second name of this file: a hard link renamed into place is atomic.
  const std::string best = join(config_.directory, "best.nnst");
  const std::string temporary = best + ".tmp-link";
  remove_file(temporary);
  if (::link(path.c_str(), temporary.c_str()) != 0 ||
      ::rename(temporary.c_str(), best.c_str()) != 0) {
    const int error = errno;
    remove_file(temporary);
    fail(NNSTATE_ERR_IO, "cannot update \"" + best + "\": " + std::strerror(error));
  }
  // Keep the best keep_best by the monitor: each new best beats all earlier ones, so the
  // newest best-e files are the best ones.
  std::vector<std::string> bests;
  for (const std::string &n : list_directory(config_.directory)) {
    if (starts_with(n, kBestPrefix) && ends_with(n, kSuffix)) bests.push_back(n);
  }
  for (size_t i = 0; i + static_cast<size_t>(config_.keep_best) < bests.size(); ++i) {
    remove_file(join(config_.directory, bests[i]));
  }
}

void CheckpointPolicy::after_batch(Trainer &trainer) {
  const int64_t step = trainer.state().global_step;
  if (config_.every_steps > 0 && step % config_.every_steps == 0) save_periodic(trainer);
}

void CheckpointPolicy::after_epoch(Trainer &trainer) {
  save_best_if_improved(trainer);
  const int64_t epoch = trainer.state().epoch;
  if (config_.every_epochs > 0 && epoch % config_.every_epochs == 0) save_periodic(trainer);
}

void CheckpointPolicy::on_stop(Trainer &trainer) {
  if (config_.on_stop) save_periodic(trainer);
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
