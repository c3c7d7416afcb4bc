// C API: the checkpoint policy's asynchronous saves -- waiting for them and their counters.
#include "guard.h"
#include "trainer_handle.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

extern "C" {

nnstate_status nnstate_trainer_flush_saves(nnstate_trainer *trainer) {
  return guard([&] {
    require_arg(trainer, "trainer");
    nnstate::capi::flush_saves(*trainer);
  });
}

nnstate_status nnstate_trainer_save_stats(const nnstate_trainer *trainer,
                                          nnstate_save_stats *stats) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(stats, "stats");
    nnstate::capi::check_struct_size(stats, "nnstate_save_stats",
                                     "set it to sizeof(nnstate_save_stats)");
    *stats = nnstate_save_stats{};
    stats->struct_size = sizeof *stats;
    const nnstate::checkpoint::CheckpointPolicy *policy = trainer->hooks.policy.get();
    if (!policy) return;
    const nnstate::checkpoint::SaveStats &s = policy->stats();
    stats->completed = s.completed;
    stats->failed = s.failed;
    stats->skipped = s.skipped;
    stats->waited = s.waited;
    stats->synchronous_fallbacks = s.synchronous_fallbacks;
    stats->bytes_written = s.bytes_written;
    stats->staging_peak_bytes = s.staging_peak_bytes;
    stats->in_flight = policy->busy() ? 1 : 0;
    stats->stall_seconds = s.stall_seconds;
  });
}

}  // extern "C"
