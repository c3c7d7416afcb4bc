#include "train_loop.h"

#include <signal.h>

#include <cstdio>

#include "signals.h"

namespace nnstate_cli {
namespace {

std::string history_row(const nnstate_epoch_info &info) {
  char text[256];
  std::snprintf(text, sizeof text, "%lld,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f\n",
                static_cast<long long>(info.epoch + 1), info.loss, info.accuracy, info.val_loss,
                info.val_accuracy, info.lr, info.seconds);
  return text;
}

int32_t on_epoch(const nnstate_epoch_info *info, void *user) {
  static_cast<TrainLoop *>(user)->progress->epoch(*info);
  return 0;
}

int32_t on_batch(const nnstate_batch_info *info, void *user) {
  TrainLoop &loop = *static_cast<TrainLoop *>(user);
  loop.progress->batch(*info);
  if (loop.crash_after_steps > 0 && info->global_step == loop.crash_after_steps) {
    // A real crash for testing resumption: no checkpoint, no cleanup (output flushed only, so
    // that logs show how far it got).
    loop.progress->clear();
    std::fprintf(stderr,
                 "nnstate: simulating a crash: SIGKILL in epoch %lld after batch %lld (step "
                 "%lld), without saving\n",
                 static_cast<long long>(info->epoch + 1), static_cast<long long>(info->batch),
                 static_cast<long long>(info->global_step));
    std::fflush(stdout);
    std::fflush(stderr);
    raise(SIGKILL);
  }
  return 0;
}

// The trainer's whole history (restored ones included) as the cli.history CSV.
std::string history_csv(nnstate_trainer *trainer) {
  std::string csv = kHistoryHeader;
  size_t count = 0;
  check(nnstate_trainer_history_count(trainer, &count), "trainer history");
  for (size_t i = 0; i < count; ++i) {
    nnstate_epoch_info row = {};
    row.struct_size = sizeof row;
    check(nnstate_trainer_history_row(trainer, i, &row), "trainer history");
    csv += history_row(row);
  }
  return csv;
}

// DIR/last.nnst: the trainer's complete state (resumable like the policy's ckpt-*.nnst) plus
// the cli.* metadata that evaluate, predict, inspect and plot read. The policy cannot attach
// metadata to its own files, so this one is written apart, whenever fit returns.
void save_trainer(TrainLoop &loop, const std::string &path, int64_t epochs,
                  const std::string &position) {
  Metadata metadata = loop.metadata;
  metadata.emplace_back(kMetaEpochs, std::to_string(epochs));
  metadata.emplace_back(kMetaHistory, history_csv(loop.trainer));
  if (!position.empty()) metadata.emplace_back(kMetaPosition, position);
  std::vector<const char *> keys, values;
  for (const auto &kv : metadata) {
    keys.push_back(kv.first.c_str());
    values.push_back(kv.second.c_str());
  }
  nnstate_save_options options;
  check(nnstate_save_options_init(&options), "save options");
  options.metadata_keys = keys.data();
  options.metadata_values = values.data();
  options.metadata_count = keys.size();
  check(nnstate_trainer_save(loop.trainer, path.c_str(), &options), "saving " + path);
}

const char *reason_name(int32_t reason) {
  switch (reason) {
    case NNSTATE_STOP_COMPLETED:
      return "completed";
    case NNSTATE_STOP_EARLY_STOPPING:
      return "early_stopping";
    default:
      return "interrupted";
  }
}

// DIR/last.nnst and -o FILE, whichever were asked for.
void save_results(TrainLoop &loop, int64_t epochs, const std::string &position) {
  if (!loop.checkpoint_dir.empty()) {
    save_trainer(loop, loop.checkpoint_dir + "/last.nnst", epochs, position);
  }
  if (!loop.output.empty()) save_trainer(loop, loop.output, epochs, position);
}

}  // namespace

std::string position_text(nnstate_trainer *trainer) {
  int64_t epoch = 0, step = 0, batch = 0;
  check(nnstate_trainer_position(trainer, &epoch, &step, &batch), "trainer position");
  const std::string at_step = " (step " + std::to_string(step) + ")";
  if (batch > 0) {
    return "in epoch " + std::to_string(epoch + 1) + " after batch " + std::to_string(batch) +
           at_step;
  }
  return epoch == 0 ? "before epoch 1" : "after epoch " + std::to_string(epoch) + at_step;
}

int run_training(TrainLoop &loop) {
  check(nnstate_trainer_set_callbacks(loop.trainer, on_epoch, on_batch, &loop), "callbacks");
  const bool checkpoints = !loop.checkpoint_dir.empty();
  int32_t reason = NNSTATE_STOP_REQUESTED;
  int64_t epoch = 0, batch = 0;
  if (!stop_signal()) {
    loop.progress->start();
    set_stop_target(loop.trainer);
    if (!stop_signal()) {  // else it arrived before the trainer was reachable from the handler
      const nnstate_status status =
          nnstate_trainer_fit(loop.trainer, loop.train, loop.validation, &reason);
      set_stop_target(nullptr);
      loop.progress->clear();
      check(status, "training");
    }
    set_stop_target(nullptr);
  }
  check(nnstate_trainer_position(loop.trainer, &epoch, nullptr, &batch), "trainer position");
  if (reason != NNSTATE_STOP_REQUESTED) {
    save_results(loop, epoch, "");
    std::string saved;
    if (checkpoints) saved += " checkpoint=" + loop.checkpoint_dir + "/last.nnst";
    if (!loop.output.empty()) saved += " output=" + loop.output;
    std::printf("done reason=%s epochs=%lld%s\n", reason_name(reason),
                static_cast<long long>(epoch), saved.c_str());
    return 0;
  }
  const int sig = stop_signal();
  std::fflush(stdout);
  const std::string where = position_text(loop.trainer);
  std::fprintf(stderr, "nnstate: stopped by signal %d %s\n", sig, where.c_str());
  save_results(loop, epoch, batch > 0 ? where : "");
  if (checkpoints) {
    std::fprintf(stderr, "nnstate: saved %s/last.nnst and a checkpoint in %s (rerun to resume)\n",
                 loop.checkpoint_dir.c_str(), loop.checkpoint_dir.c_str());
  }
  if (!loop.output.empty()) {
    std::fprintf(stderr, "nnstate: saved the model so far to %s\n", loop.output.c_str());
  }
  return 128 + sig;
}

}  // namespace nnstate_cli
