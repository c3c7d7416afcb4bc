// `nnstate train`'s fine-tuning options: frozen parameters (--freeze), BatchNorm of frozen
// modules in eval mode (--freeze-batchnorm-eval) and parameter groups with their own options
// (--param-group). Parsed with the other options, before any file is read; applied to the
// network and trainer before a resume, which then restores the saved run's own settings.
#pragma once

#include <nnstate/nnstate.hpp>

#include <string>
#include <vector>

#include "args.h"

namespace nnstate_cli {

// A function, not a constant: kTrainSpec's initializer in another file copies it.
OptionGroup fine_tuning_option_group();

struct ParamGroupFlag {
  std::string text;  // as given, for messages
  std::vector<std::string> patterns;
  nnstate_param_group_options options;  // patterns bound by apply
  double min_lr = -1;                   // ReduceLROnPlateau's per-group min_lr; < 0: not given
};

struct FineTuningOptions {
  std::vector<std::string> freeze;  // name patterns, in command-line order
  bool batchnorm_eval = false;
  std::vector<ParamGroupFlag> groups;
};

// Throws usage errors naming the option; `plateau`: whether --scheduler plateau was given
// (the only schedule with a min_lr).
FineTuningOptions parse_fine_tuning(const Args &args, bool plateau);

// Freezes, then sets the optimizer with the groups (options: the default group's). The
// library's refusals (a pattern selecting nothing, a parameter in two groups) are usage errors.
void apply_fine_tuning(FineTuningOptions &f, nnstate::Network &network,
                       const nnstate_optimizer_options &options);
// The groups' min_lr, when any was given (the others get the scheduler's --min-lr).
void apply_group_min_lr(const FineTuningOptions &f, nnstate::Trainer &trainer, double min_lr);

}  // namespace nnstate_cli
