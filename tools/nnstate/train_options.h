// `nnstate train`: its option table and the parsed, validated settings, already in the C
// API's option structs (filled with their defaults by the wrapper). Everything here is checked
// before any file is read.
#pragma once

#include <nnstate/nnstate.hpp>

#include <string>
#include <vector>

#include "args.h"
#include "csv.h"
#include "data_flags.h"
#include "fine_tuning.h"

namespace nnstate_cli {

extern const CommandSpec kTrainSpec;

struct TrainOptions {
  std::string arch;   // empty when resuming without --arch
  std::string model;  // --model FILE (model_source.h), empty for --arch
  std::string loss;   // empty: the default for the data
  uint64_t seed = 0;
  DataFlags train, validation;
  double validation_split = 0.0;
  size_t target_columns = 1;
  CsvHeader csv_header = CsvHeader::automatic;

  nnstate_optimizer_options optimizer;
  FineTuningOptions fine_tuning;  // --freeze, --param-group
  nnstate_trainer_options trainer;
  int64_t deterministic_chunk = 0;      // --deterministic CHUNK; 0: off
  int32_t threads = 0;                  // --threads; 0: OpenBLAS's count
  nnstate_step_options step;            // clipping and accumulation (defaults: off, 1)
  nnstate_rollback_options rollback;    // enabled by --rollback
  nnstate_scheduler_options scheduler;  // kind NONE when no --scheduler
  std::vector<int64_t> milestones;      // scheduler.milestones points here once bound
  std::string scheduler_monitor;        // empty: val_loss with validation data, else loss
  bool early_stopping = false;
  nnstate_early_stopping_options stopping;
  std::string stopping_monitor;  // empty: as scheduler_monitor

  std::string checkpoint_dir;
  std::string output;  // -o FILE: the final model (empty: none)
  bool resume = false;
  int64_t checkpoint_every_steps = 0;      // 0: checkpoints at epoch ends only
  bool async_save = false;                 // checkpoints written by a background thread
  int64_t simulate_crash_after_steps = 0;  // 0: off
  std::string progress;                    // auto, bar, lines
};

// Throws usage errors (exit 2) naming the option.
TrainOptions parse_train_options(const Args &args);

// Points the structs' monitor and milestone fields at `o`'s strings and vectors, resolving the
// default monitors now that it is known whether there is validation data.
void bind_monitors(TrainOptions &o, bool has_validation);

}  // namespace nnstate_cli
