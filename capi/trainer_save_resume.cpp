// C API: saving and resuming a trainer, its checkpoint policy, and resume from a directory.
// Each call first reports a failed background save of the policy (flush_saves).
#include <cstddef>
#include <cstring>
#include <functional>
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

// Callers built against 0.1.0 pass the struct without the asynchronous-save fields.
constexpr size_t kPolicySizeWithoutAsync = offsetof(nnstate_checkpoint_policy, async_save);

std::function<bool(const ck::WriteResult &)> save_callback(nnstate_save_callback callback,
                                                           void *user_data) {
  if (!callback) return {};
  return [callback, user_data](const ck::WriteResult &r) {
    nnstate_save_info info;
    info.struct_size = sizeof info;
    info.status = r.status;
    info.message = r.message.c_str();
    info.path = r.paths.empty() ? "" : r.paths.front().c_str();
    info.global_step = r.global_step;
    info.bytes = r.bytes;
    info.asynchronous = r.asynchronous ? 1 : 0;
    return callback(&info, user_data) == 0;
  };
}

}  // namespace

extern "C" {

nnstate_status nnstate_trainer_save(nnstate_trainer *trainer, const char *path,
                                    const nnstate_save_options *options) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(path, "path");
    nnstate::capi::flush_saves(*trainer);
    ck::SaveOptions o = nnstate::capi::to_save_options(options);
    o.trainer = trainer->trainer.get();
    ck::save(trainer->trainer->model(), path, o);
  });
}

nnstate_status nnstate_trainer_resume(nnstate_trainer *trainer, const char *path) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(path, "path");
    nnstate::capi::flush_saves(*trainer);
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
    policy->async_save = d.async ? 1 : 0;
    policy->when_busy = NNSTATE_SAVE_WAIT;
    policy->max_staging_bytes = d.max_staging_bytes;
  });
}

nnstate_status nnstate_trainer_set_checkpointing(nnstate_trainer *trainer,
                                                 const nnstate_checkpoint_policy *policy) {
  return guard([&] {
    require_arg(trainer, "trainer");
    // The policy being replaced reports its last save first.
    nnstate::capi::flush_saves(*trainer);
    if (!policy) {
      trainer->hooks.policy.reset();
      return;
    }
    nnstate_checkpoint_policy full;
    if (policy->struct_size == kPolicySizeWithoutAsync) {
      nnstate_checkpoint_policy_init(&full);
      std::memcpy(&full, policy, kPolicySizeWithoutAsync);
      full.struct_size = sizeof full;
      policy = &full;
    }
    nnstate::capi::check_struct_size(policy, "nnstate_checkpoint_policy");
    if (policy->when_busy != NNSTATE_SAVE_WAIT && policy->when_busy != NNSTATE_SAVE_SKIP) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    "policy->when_busy is " + std::to_string(policy->when_busy) +
                        " (expected NNSTATE_SAVE_WAIT or NNSTATE_SAVE_SKIP)");
    }
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
    c.async = policy->async_save != 0;
    c.skip_when_busy = policy->when_busy == NNSTATE_SAVE_SKIP;
    c.max_staging_bytes = policy->max_staging_bytes;
    c.on_save = save_callback(policy->on_save, policy->on_save_user_data);
    trainer->hooks.policy = std::make_unique<ck::CheckpointPolicy>(c);
  });
}

nnstate_status nnstate_trainer_resume_latest(nnstate_trainer *trainer, const char *directory,
                                             int32_t *found) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(directory, "directory");
    if (found) *found = 0;
    nnstate::capi::flush_saves(*trainer);  // the newest checkpoint may still be in flight
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
