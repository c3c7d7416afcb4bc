#include "train_loop.h"

#include <cstdio>

#include "signals.h"

namespace nnstate_cli {
namespace {

std::string history_row(const nnstate_epoch_info &info, int64_t shown_epoch, double seconds) {
  char text[256];
  std::snprintf(text, sizeof text, "%lld,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f\n",
                static_cast<long long>(shown_epoch), info.loss, info.accuracy, info.val_loss,
                info.val_accuracy, info.lr, seconds);
  return text;
}

// Every epoch end stops fit (returning non-zero), so the loop can save a checkpoint while the
// trainer is idle; calling fit again continues exactly where it stopped.
int32_t on_epoch(const nnstate_epoch_info *info, void *user) {
  TrainLoop &loop = *static_cast<TrainLoop *>(user);
  const double seconds = loop.progress->epoch(*info);
  loop.history += history_row(*info, info->epoch + 1 + loop.epochs_before, seconds);
  return 1;
}

int32_t on_batch(const nnstate_batch_info *info, void *user) {
  static_cast<TrainLoop *>(user)->progress->batch(*info);
  return 0;
}

void save(TrainLoop &loop, const std::string &name, int64_t epochs, const std::string &position) {
  Metadata metadata = loop.metadata;
  metadata.emplace_back(kMetaEpochs, std::to_string(epochs));
  metadata.emplace_back(kMetaHistory, kHistoryHeader + loop.history);
  if (!position.empty()) metadata.emplace_back(kMetaPosition, position);
  save_checkpoint(loop.network, loop.checkpoint_dir + "/" + name, metadata);
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

}  // namespace

int run_training(TrainLoop &loop) {
  check(nnstate_trainer_set_callbacks(loop.trainer, on_epoch, on_batch, &loop), "callbacks");
  const bool checkpoints = !loop.checkpoint_dir.empty();
  int64_t saved_epoch = -1;
  int32_t reason = NNSTATE_STOP_REQUESTED;
  int64_t epoch = 0, batch = 0;
  while (reason == NNSTATE_STOP_REQUESTED && !stop_signal()) {
    loop.progress->start();
    set_stop_target(loop.trainer);
    if (stop_signal()) {  // arrived before the trainer was reachable from the handler
      set_stop_target(nullptr);
      break;
    }
    const nnstate_status status =
        nnstate_trainer_fit(loop.trainer, loop.train, loop.validation, &reason);
    set_stop_target(nullptr);
    loop.progress->clear();
    check(status, "training");
    check(nnstate_trainer_position(loop.trainer, &epoch, nullptr, &batch), "trainer position");
    if (checkpoints && batch == 0 && epoch != saved_epoch) {
      save(loop, "last.nnst", loop.epochs_before + epoch, "");
      saved_epoch = epoch;
      // An interrupted.nnst from an earlier run is now older than last.nnst: drop it.
      std::remove((loop.checkpoint_dir + "/interrupted.nnst").c_str());
    }
  }
  if (reason != NNSTATE_STOP_REQUESTED) {
    // fit's last call may have restored early stopping's best weights: save the final state.
    if (checkpoints) save(loop, "last.nnst", loop.epochs_before + epoch, "");
    std::printf("done reason=%s epochs=%lld%s%s\n", reason_name(reason),
                static_cast<long long>(loop.epochs_before + epoch),
                checkpoints ? " checkpoint=" : "",
                checkpoints ? (loop.checkpoint_dir + "/last.nnst").c_str() : "");
    return 0;
  }
  const int sig = stop_signal();
  std::fflush(stdout);
  std::string where = "at the end of epoch " + std::to_string(loop.epochs_before + epoch);
  if (batch > 0) {
    where = "in epoch " + std::to_string(loop.epochs_before + epoch + 1) + " after batch " +
            std::to_string(batch);
  }
  std::fprintf(stderr, "nnstate: stopped by signal %d %s\n", sig, where.c_str());
  if (checkpoints && batch > 0) {
    // The trainer's position is not in the checkpoint API yet, so a mid-epoch state is saved
    // apart: last.nnst stays the resumable epoch boundary.
    save(loop, "interrupted.nnst", loop.epochs_before + epoch, where);
    std::fprintf(stderr, "nnstate: saved %s/interrupted.nnst (%s); %s/last.nnst holds epoch %lld\n",
                 loop.checkpoint_dir.c_str(), where.c_str(), loop.checkpoint_dir.c_str(),
                 static_cast<long long>(loop.epochs_before + epoch));
  } else if (checkpoints) {
    if (saved_epoch != epoch) save(loop, "last.nnst", loop.epochs_before + epoch, "");
    std::fprintf(stderr, "nnstate: saved %s/last.nnst\n", loop.checkpoint_dir.c_str());
  }
  return 128 + sig;
}

}  // namespace nnstate_cli
