/*
 * Asynchronous checkpoint saves through the C API: an async run ends with the same weights and
 * the same checkpoints as a synchronous one, counts its saves, reports every outcome through
 * on_save, and a failed background save makes fit fail (never a silent success). Also the
 * policy struct of 0.1.0 (without the new fields) and the new functions' refusals.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define SAMPLES 96
#define FEATURES 3

static float x[SAMPLES * FEATURES], y[SAMPLES];

typedef struct {
  int calls, failures, asynchronous;
  nnstate_status last_status;
  char last_path[512];
} save_log;

static int32_t on_save(const nnstate_save_info *info, void *user_data) {
  save_log *log = (save_log *)user_data;
  CHECK(info->struct_size == sizeof *info);
  CHECK(info->message != NULL && info->path != NULL);
  log->calls += 1;
  log->failures += info->status != NNSTATE_OK;
  log->asynchronous += info->asynchronous != 0;
  log->last_status = info->status;
  snprintf(log->last_path, sizeof log->last_path, "%s", info->path);
  CHECK((info->status == NNSTATE_OK) == (info->message[0] == '\0'));
  CHECK(info->status != NNSTATE_OK || info->bytes > 64);
  return 0;
}

static nnstate_network *make_network(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  CHECK_OK(nnstate_network_create(&net, 5));
  CHECK_OK(nnstate_network_add_linear(net, FEATURES, 10, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 10, 2, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  return net;
}

static nnstate_trainer *make_trainer(nnstate_network *net) {
  nnstate_trainer *trainer = NULL;
  nnstate_trainer_options options;
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.epochs = 3;
  options.batch_size = 16; /* 6 batches per epoch */
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  return trainer;
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Trains into `dir` and writes the predictions of the trained network to `out`. */
static void train(const char *dir, int async_save, const nnstate_dataset *data, save_log *log,
                  nnstate_save_stats *stats, float *out) {
  nnstate_network *net = make_network();
  nnstate_trainer *trainer = make_trainer(net);
  nnstate_checkpoint_policy policy;
  CHECK_OK(nnstate_checkpoint_policy_init(&policy));
  CHECK(policy.async_save == 0 && policy.when_busy == NNSTATE_SAVE_WAIT);
  CHECK(policy.max_staging_bytes == 0 && policy.on_save == NULL);
  policy.directory = dir;
  policy.every_steps = 4;
  policy.keep_last = 0;
  policy.monitor = "loss";
  policy.async_save = async_save;
  policy.on_save = on_save;
  policy.on_save_user_data = log;
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  CHECK_OK(nnstate_trainer_fit(trainer, data, NULL, NULL));
  stats->struct_size = sizeof *stats;
  CHECK_OK(nnstate_trainer_save_stats(trainer, stats));
  CHECK(stats->in_flight == 0); /* fit returns once every save is on disk */
  CHECK_OK(nnstate_trainer_flush_saves(trainer));
  CHECK_OK(nnstate_network_predict(net, x, SAMPLES * FEATURES, SAMPLES, out, SAMPLES * 2));
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
}

static void async_equals_sync(const nnstate_dataset *data) {
  char sync_dir[] = "/tmp/nnstate-async-XXXXXX", async_dir[] = "/tmp/nnstate-async-XXXXXX";
  char a[600], b[600];
  static float sync_out[SAMPLES * 2], async_out[SAMPLES * 2];
  save_log sync_log = {0}, async_log = {0};
  nnstate_save_stats sync_stats, async_stats;
  CHECK(mkdtemp(sync_dir) && mkdtemp(async_dir));
  train(sync_dir, 0, data, &sync_log, &sync_stats, sync_out);
  train(async_dir, 1, data, &async_log, &async_stats, async_out);
  CHECK(memcmp(sync_out, async_out, sizeof sync_out) == 0);
  /* 18 steps: every 4 (4, 8, 12, 16), every epoch (6, 12 is shared, 18), best-e* each epoch
   * that improves the loss; the same saves either way. */
  CHECK(async_stats.completed == sync_stats.completed);
  CHECK(async_stats.completed >= 6);
  CHECK(async_stats.failed == 0 && async_stats.skipped == 0);
  CHECK(async_stats.bytes_written == sync_stats.bytes_written);
  CHECK(async_stats.staging_peak_bytes > 0 && sync_stats.staging_peak_bytes == 0);
  CHECK(async_log.calls == async_stats.completed && async_log.failures == 0);
  CHECK(async_log.asynchronous == async_log.calls && sync_log.asynchronous == 0);
  snprintf(a, sizeof a, "%s/ckpt-e000001-s000000000008.nnst", async_dir);
  snprintf(b, sizeof b, "%s/ckpt-e000001-s000000000008.nnst", sync_dir);
  CHECK(file_size(a) > 64 && file_size(a) == file_size(b));
  snprintf(a, sizeof a, "rm -rf '%s' '%s'", sync_dir, async_dir);
  CHECK(system(a) == 0);
}

/* The directory turns into a file after the policy was set: the only save, the final one,
 * fails on the background thread, and fit reports it. */
static void failed_final_save(const nnstate_dataset *data) {
  char dir[] = "/tmp/nnstate-async-XXXXXX";
  char command[600];
  FILE *blocker;
  save_log log = {0};
  nnstate_save_stats stats;
  nnstate_network *net = make_network();
  nnstate_trainer *trainer = make_trainer(net);
  nnstate_checkpoint_policy policy;
  CHECK(mkdtemp(dir) != NULL);
  CHECK_OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.every_epochs = 0;
  policy.keep_best = 0;
  policy.async_save = 1;
  policy.on_save = on_save;
  policy.on_save_user_data = &log;
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  CHECK(rmdir(dir) == 0);
  blocker = fopen(dir, "w");
  CHECK(blocker != NULL);
  fclose(blocker);
  CHECK_ERR(nnstate_trainer_fit(trainer, data, NULL, NULL), NNSTATE_ERR_IO);
  CHECK(strstr(nnstate_last_error(), "checkpoint save in the background failed") != NULL);
  CHECK(log.calls == 1 && log.failures == 1 && log.last_status == NNSTATE_ERR_IO);
  CHECK(strstr(log.last_path, "ckpt-e000003-s000000000018.nnst") != NULL);
  stats.struct_size = sizeof stats;
  CHECK_OK(nnstate_trainer_save_stats(trainer, &stats));
  CHECK(stats.failed == 1 && stats.completed == 0);
  CHECK_OK(nnstate_trainer_flush_saves(trainer)); /* reported once */
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  snprintf(command, sizeof command, "rm -f '%s'", dir);
  CHECK(system(command) == 0);
}

static void struct_versions_and_refusals(void) {
  char dir[] = "/tmp/nnstate-async-XXXXXX";
  char command[600];
  nnstate_network *net = make_network();
  nnstate_trainer *trainer = make_trainer(net);
  nnstate_checkpoint_policy policy;
  nnstate_save_stats stats;
  CHECK(mkdtemp(dir) != NULL);
  CHECK_OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  /* A caller built against 0.1.0 passes the struct without the asynchronous fields. */
  policy.struct_size = (uint32_t)offsetof(nnstate_checkpoint_policy, async_save);
  policy.async_save = 77; /* beyond the caller's struct: must not be read */
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  policy.struct_size = (uint32_t)sizeof policy - 4;
  CHECK_ERR(nnstate_trainer_set_checkpointing(trainer, &policy), NNSTATE_ERR_VERSION);
  policy.struct_size = sizeof policy;
  policy.when_busy = 2;
  CHECK_ERR(nnstate_trainer_set_checkpointing(trainer, &policy), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(nnstate_last_error(), "when_busy") != NULL);

  CHECK_ERR(nnstate_trainer_flush_saves(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  stats.struct_size = sizeof stats;
  CHECK_ERR(nnstate_trainer_save_stats(NULL, &stats), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_save_stats(trainer, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  stats.struct_size = 8;
  CHECK_ERR(nnstate_trainer_save_stats(trainer, &stats), NNSTATE_ERR_VERSION);
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, NULL));
  stats.struct_size = sizeof stats;
  stats.completed = 5;
  CHECK_OK(nnstate_trainer_save_stats(trainer, &stats)); /* no policy: zeros */
  CHECK(stats.completed == 0 && stats.staging_peak_bytes == 0 && stats.in_flight == 0);
  CHECK_OK(nnstate_trainer_flush_saves(trainer));
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  CHECK(system(command) == 0);
}

int main(void) {
  nnstate_dataset *data = NULL;
  int i, f;
  for (i = 0; i < SAMPLES; ++i) {
    for (f = 0; f < FEATURES; ++f) {
      x[i * FEATURES + f] = (float)((i * 7 + f * 3) % 11) / 11.0f + (f == 0 ? (float)(i % 2) : 0);
    }
    y[i] = (float)(i % 2);
  }
  CHECK_OK(nnstate_dataset_create(&data, x, SAMPLES * FEATURES, y, SAMPLES, SAMPLES));
  async_equals_sync(data);
  failed_final_save(data);
  struct_versions_and_refusals();
  nnstate_dataset_free(data);
  printf("api_async_saves: ok\n");
  return 0;
}
