#include "train_loop.h"

#include <signal.h>

#include <cstdio>

#include "commands.h"
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

bool on_batch(TrainLoop &loop, const nnstate_batch_info &info) {
  loop.progress->batch(info);
  if (loop.crash_after_steps > 0 && info.global_step == loop.crash_after_steps) {
    // A real crash for testing resumption: no checkpoint, no cleanup (output flushed only, so
    // that logs show how far it got).
    loop.progress->clear();
    std::fprintf(stderr,
                 "nnstate: simulating a crash: SIGKILL in epoch %lld after batch %lld (step "
                 "%lld), without saving\n",
                 static_cast<long long>(info.epoch + 1), static_cast<long long>(info.batch),
                 static_cast<long long>(info.global_step));
    std::fflush(stdout);
    std::fflush(stderr);
    raise(SIGKILL);
  }
  return false;
}

// The trainer's whole history (restored ones included) as the cli.history CSV.
std::string history_csv(const nnstate::Trainer &trainer) {
  std::string csv = kHistoryHeader;
  for (const nnstate_epoch_info &row :
       in_context("trainer history", [&] { return trainer.history(); })) {
    csv += history_row(row);
  }
  return csv;
}

// DIR/last.nnst: the trainer's complete state (resumable like the policy's ckpt-*.nnst) plus
// the cli.* metadata that evaluate, predict, inspect and plot read. The policy cannot attach
// metadata to its own files, so this one is written apart, whenever fit returns.
void save_trainer(TrainLoop &loop, const std::string &path, int64_t epochs,
                  const std::string &position) {
  nnstate::Metadata metadata = loop.metadata;
  metadata.emplace_back(kMetaEpochs, std::to_string(epochs));
  metadata.emplace_back(kMetaHistory, history_csv(*loop.trainer));
  if (!position.empty()) metadata.emplace_back(kMetaPosition, position);
  in_context("saving " + path, [&] { loop.trainer->save(path, metadata); });
}

// While fit may run: the trainer is the signal handler's target, and a partly drawn progress
// bar is cleared when fit returns or throws (before any other output).
struct Fitting {
  explicit Fitting(TrainLoop &l) : loop(l) { set_stop_target(l.trainer); }
  ~Fitting() {
    set_stop_target(nullptr);
    loop.progress->clear();
  }
  Fitting(const Fitting &) = delete;
  Fitting &operator=(const Fitting &) = delete;
  TrainLoop &loop;
};

const char *reason_name(int32_t reason) {
  switch (reason) {
    case NNSTATE_STOP_COMPLETED:
      return "completed";
    case NNSTATE_STOP_EARLY_STOPPING:
      return "early_stopping";
    case NNSTATE_STOP_DIVERGED:
      return "diverged";
    default:
      return "interrupted";
  }
}

// The divergence rollbacks of the run (a resumed run lists the earlier ones too).
void report_rollbacks(const nnstate::Trainer &trainer) {
  static const char *const kReasons[] = {"non-finite loss", "loss spike",
                                         "non-finite gradient norm"};
  const std::vector<nnstate_rollback_event> events =
      in_context("rollback events", [&] { return trainer.rollbacks(); });
  for (const nnstate_rollback_event &e : events) {
    const char *why = e.reason >= 0 && e.reason <= 2 ? kReasons[e.reason] : "unknown";
    std::fprintf(stderr,
                 "nnstate: %s in epoch %lld batch %lld (step %lld, loss=%g): %s the snapshot of "
                 "update %lld%s, lr=%g\n",
                 why, static_cast<long long>(e.epoch + 1), static_cast<long long>(e.batch),
                 static_cast<long long>(e.global_step), e.loss,
                 e.gave_up ? "gave up and restored" : "rolled back to",
                 static_cast<long long>(e.restored_step), e.gave_up ? " (no rollbacks left)" : "",
                 e.lr);
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

std::string position_text(const nnstate::Trainer &trainer) {
  const nnstate::Position p = in_context("trainer position", [&] { return trainer.position(); });
  const std::string at_step = " (step " + std::to_string(p.global_step) + ")";
  if (p.batch_in_epoch > 0) {
    return "in epoch " + std::to_string(p.epoch + 1) + " after batch " +
           std::to_string(p.batch_in_epoch) + at_step;
  }
  return p.epoch == 0 ? "before epoch 1" : "after epoch " + std::to_string(p.epoch) + at_step;
}

int run_training(TrainLoop &loop) {
  in_context("callbacks", [&] {
    loop.trainer->set_callbacks(
        [&loop](const nnstate_epoch_info &info) {
          loop.progress->epoch(info);
          return false;
        },
        [&loop](const nnstate_batch_info &info) { return on_batch(loop, info); });
  });
  const bool checkpoints = !loop.checkpoint_dir.empty();
  int32_t reason = NNSTATE_STOP_REQUESTED;
  if (!stop_signal()) {
    loop.progress->start();
    const Fitting fitting(loop);
    if (!stop_signal()) {  // else it arrived before the trainer was reachable from the handler
      reason =
          in_context("training", [&] { return loop.trainer->fit(*loop.train, loop.validation); });
    }
  }
  const nnstate::Position position =
      in_context("trainer position", [&] { return loop.trainer->position(); });
  const int64_t epoch = position.epoch, batch = position.batch_in_epoch;
  report_rollbacks(*loop.trainer);
  if (reason != NNSTATE_STOP_REQUESTED) {
    save_results(loop, epoch, "");
    std::string saved;
    if (checkpoints) saved += " checkpoint=" + loop.checkpoint_dir + "/last.nnst";
    if (!loop.output.empty()) saved += " output=" + loop.output;
    std::printf("done reason=%s epochs=%lld%s\n", reason_name(reason),
                static_cast<long long>(epoch), saved.c_str());
    if (reason == NNSTATE_STOP_DIVERGED) {
      std::fprintf(stderr, "nnstate: training diverged: every rollback was used\n");
      return 1;
    }
    return 0;
  }
  const int sig = stop_signal();
  std::fflush(stdout);
  const std::string where = position_text(*loop.trainer);
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
