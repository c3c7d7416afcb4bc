/*
 * Distinct networks trained on several threads at once each end bitwise identical to the same
 * training run alone, and error messages stay per thread. Each thread then trains through a
 * trainer whose checkpoints are written by the background writer (a save after every batch, so
 * writer and training thread overlap all the time). Every other network trains in the
 * deterministic mode (chunks on two library threads of its own), so the library's thread pool
 * runs beside the others too, and every network starts with a convolution, whose batch split
 * shares one process-wide pool: ThreadSanitizer runs this test in CI.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define THREADS 4
#define WEIGHTS (16 * 2 * 2 * 2) /* the convolution's weight */

struct job {
  uint64_t seed;
  float weights[WEIGHTS];
  float fit_weights[WEIGHTS];
  int64_t saves;
  int error_message_ok;
};

/* fit with asynchronous checkpoints into a fresh directory, which is removed afterwards. */
static void fit_with_async_saves(nnstate_network *net, const float *x, const float *y,
                                 struct job *job) {
  char dir[] = "/tmp/nnstate-threads-XXXXXX";
  char command[64];
  nnstate_dataset *data = NULL;
  nnstate_trainer *trainer = NULL;
  nnstate_trainer_options options;
  nnstate_checkpoint_policy policy;
  nnstate_save_stats stats;
  CHECK(mkdtemp(dir) != NULL);
  CHECK_OK(nnstate_dataset_create(&data, x, 32 * 8, y, 32, 32));
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.epochs = 3;
  options.batch_size = 8;
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  CHECK_OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.every_steps = 1;
  policy.keep_last = 2;
  policy.keep_best = 0;
  policy.fsync = 0;
  policy.async_save = 1;
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  CHECK_OK(nnstate_trainer_fit(trainer, data, NULL, NULL));
  stats.struct_size = sizeof stats;
  CHECK_OK(nnstate_trainer_save_stats(trainer, &stats));
  CHECK(stats.failed == 0 && stats.in_flight == 0 && stats.staging_peak_bytes > 0);
  job->saves = stats.completed;
  nnstate_trainer_free(trainer);
  nnstate_dataset_free(data);
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", job->fit_weights, WEIGHTS));
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  CHECK(system(command) == 0);
}

static void train(struct job *job) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  nnstate_conv2d_options conv;
  const int64_t image[3] = {2, 2, 2};
  float x[32 * 8], y[32];
  int i, step;
  for (i = 0; i < 32 * 8; ++i) x[i] = (float)((i * 7 + (int)job->seed) % 13) / 13.0f - 0.5f;
  for (i = 0; i < 32; ++i) y[i] = (float)(i % 4);
  CHECK_OK(nnstate_network_create(&net, job->seed));
  /* Each sample as a 2x2 image of 2 channels: the convolution splits each batch over the
   * library's conv threads (one per OpenBLAS thread) outside the deterministic mode, so four
   * networks contend for its pool (the losers run their slots inline, with the same bits). */
  CHECK_OK(nnstate_network_set_input_shape(net, image, 3));
  CHECK_OK(nnstate_conv2d_options_init(&conv, 2, 16, 2));
  CHECK_OK(nnstate_network_add_conv2d(net, &conv));
  CHECK_OK(nnstate_network_add_flatten(net));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 16, 4, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  if (job->seed % 2) CHECK_OK(nnstate_network_set_deterministic(net, 8, 2));
  for (step = 0; step < 200; ++step) {
    CHECK_OK(nnstate_network_train_step(net, x, 32 * 8, y, 32, 32, NULL));
    /* An error on this thread: its message must be this thread's, whatever others do. */
    if (step % 50 == 0) {
      char name[32];
      snprintf(name, sizeof name, "t%llu", (unsigned long long)job->seed);
      (void)nnstate_network_get_tensor(net, name, x, 1);
      job->error_message_ok = strstr(nnstate_last_error(), name) != NULL;
      if (!job->error_message_ok) break;
    }
  }
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", job->weights, WEIGHTS));
  fit_with_async_saves(net, x, y, job);
  nnstate_network_free(net);
}

static void *run(void *arg) {
  train((struct job *)arg);
  return NULL;
}

int main(void) {
  struct job alone[THREADS], together[THREADS];
  pthread_t threads[THREADS];
  int i;
  for (i = 0; i < THREADS; ++i) {
    memset(&alone[i], 0, sizeof alone[i]);
    alone[i].seed = (uint64_t)(100 + i);
    together[i] = alone[i];
    train(&alone[i]);
  }
  for (i = 0; i < THREADS; ++i) CHECK(pthread_create(&threads[i], NULL, run, &together[i]) == 0);
  for (i = 0; i < THREADS; ++i) CHECK(pthread_join(threads[i], NULL) == 0);
  for (i = 0; i < THREADS; ++i) {
    CHECK(together[i].error_message_ok);
    CHECK(memcmp(alone[i].weights, together[i].weights, sizeof alone[i].weights) == 0);
    CHECK(memcmp(alone[i].fit_weights, together[i].fit_weights, sizeof alone[i].weights) == 0);
    CHECK(together[i].saves == 12); /* 3 epochs of 4 batches, one save after each */
  }
  CHECK(memcmp(alone[0].weights, alone[1].weights, sizeof alone[0].weights) != 0);
  puts("api_threads: all checks passed");
  return 0;
}
