// C API: saving and resuming a trainer, its checkpoint policy, and resume from a directory.
#include <memory>

#include "checkpoint/load.h"
#include "checkpoint/policy.h"
#include "checkpoint/save.h"
#include "guard.h"
#include "handles.h"
#include "save_options.h"
#include "trainer_handle.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;
namespace ck = nnstate::checkpoint;

namespace {

std::string joined(const std::vector<std::string> &lines) {
  std::string out;
  for (const std::string &line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

extern "C" {

nnstate_status nnstate_trainer_save(nnstate_trainer *trainer, const char *path,
                                    const nnstate_save_options *options) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(path, "path");
    ck::SaveOptions o = nnstate::capi::to_save_options(options);
    o.trainer = trainer->trainer.get();
    ck::save(trainer->trainer->model(), path, o);
  });
}

nnstate_status nnstate_trainer_resume(nnstate_trainer *trainer, const char *path) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(path, "path");
    trainer->warnings.clear();
    trainer->warnings = joined(ck::resume_trainer(*trainer->trainer, path));
  });
}

nnstate_status nnstate_checkpoint_policy_init(nnstate_checkpoint_policy *policy) {
  return guard([&] {
    require_arg(policy, "policy");
    const ck::PolicyConfig d;
    *policy = nnstate_checkpoint_policy{};
    policy->struct_size = sizeof *policy;
    policy->every_epochs = d.every_epochs;
    policy->every_steps = d.every_steps;
    policy->on_stop = d.on_stop;
    policy->keep_last = d.keep_last;
    policy->keep_best = d.keep_best;
    policy->monitor = "val_loss";
    policy->mode = NNSTATE_MODE_AUTO;
    policy->fsync = 1;
  });
}

nnstate_status nnstate_trainer_set_checkpointing(nnstate_trainer *trainer,
                                                 const nnstate_checkpoint_policy *policy) {
  return guard([&] {
    require_arg(trainer, "trainer");
    if (!policy) {
      trainer->hooks.policy.reset();
      return;
    }
    nnstate::capi::check_struct_size(policy, "nnstate_checkpoint_policy");
    require_arg(policy->directory, "policy->directory");
    require_arg(policy->monitor, "policy->monitor");
    if (policy->mode < NNSTATE_MODE_AUTO || policy->mode > NNSTATE_MODE_MAX) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    "policy->mode is " + std::to_string(policy->mode) +
                        " (expected NNSTATE_MODE_AUTO, _MIN or _MAX)");
    }
    ck::PolicyConfig c;
    c.directory = policy->directory;
    c.every_epochs = policy->every_epochs;
    c.every_steps = policy->every_steps;
    c.on_stop = policy->on_stop != 0;
    c.keep_last = policy->keep_last;
    c.keep_best = policy->keep_best;
    c.monitor = policy->monitor;
    c.mode = static_cast<nnstate::MonitorMode>(policy->mode);
    c.sync = policy->fsync != 0;
    trainer->hooks.policy = std::make_unique<ck::CheckpointPolicy>(c);
  });
}

nnstate_status nnstate_trainer_resume_latest(nnstate_trainer *trainer, const char *directory,
                                             int32_t *found) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(directory, "directory");
    if (found) *found = 0;
    trainer->warnings.clear();
    ck::ResumeResult result = ck::resume_latest(*trainer->trainer, directory);
    trainer->warnings = joined(result.warnings);
    if (found) *found = result.found ? 1 : 0;
  });
}

const char *nnstate_trainer_warnings(const nnstate_trainer *trainer) {
  return trainer ? trainer->warnings.c_str() : "";
}

}  // extern "C"
