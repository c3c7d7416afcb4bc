/*
 * Crash test of resumable training. `crash_resume selftest WORKDIR` runs a training to the end
 * once (the reference), then runs the same training in another directory while killing it with
 * SIGKILL at 20 pseudo-random moments (some inside a checkpoint save); each restart resumes from
 * the newest valid checkpoint. After every kill every checkpoint on disk must verify, and the
 * final result (all tensors, history, learning rate) must equal the reference byte for byte.
 * `crash_resume train DIR OUT` is the training child.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nnstate/nnstate.h"

#define SAMPLES 400
#define VAL 100
#define FEATURES 8
#define KILLS 20

static void die(const char *what) {
  fprintf(stderr, "crash_resume: %s: %s\n", what, nnstate_last_error());
  exit(2);
}
#define OK(call) \
  if ((call) != NNSTATE_OK) die(#call)

static int train(const char *dir, const char *out_path) {
  static float x[(SAMPLES + VAL) * FEATURES], y[SAMPLES + VAL];
  uint32_t s = 7u;
  int i, f;
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options early;
  nnstate_checkpoint_policy policy;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train_set = NULL, *val_set = NULL;
  int32_t found = 0;
  size_t count = 0, n;
  FILE *out;

  for (i = 0; i < SAMPLES + VAL; ++i) {
    for (f = 0; f < FEATURES; ++f) {
      s = s * 1664525u + 1013904223u;
      x[i * FEATURES + f] = (float)(s >> 8) / 16777216.0f - 0.5f + (f == i % 4 ? 0.6f : 0.0f);
    }
    y[i] = (float)(i % 4);
  }
  OK(nnstate_network_create(&net, 3));
  OK(nnstate_network_add_linear(net, FEATURES, 64, 1));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  OK(nnstate_network_add_linear(net, 64, 64, 1));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  OK(nnstate_network_add_linear(net, 64, 4, 1));
  OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  adam.lr = 0.002;
  OK(nnstate_network_set_optimizer(net, &adam));
  OK(nnstate_trainer_options_init(&options));
  options.epochs = 12;
  options.batch_size = 16;
  OK(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  plateau.patience = 0;
  plateau.factor = 0.7;
  OK(nnstate_early_stopping_options_init(&early));
  early.patience = 6;
  early.restore_best_weights = 1;
  OK(nnstate_trainer_create(&trainer, net, &options, &plateau, &early));
  OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.every_steps = 3;
  policy.keep_last = 2;
  OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  OK(nnstate_trainer_resume_latest(trainer, dir, &found));
  OK(nnstate_dataset_create(&train_set, x, SAMPLES * FEATURES, y, SAMPLES, SAMPLES));
  OK(nnstate_dataset_create(&val_set, x + SAMPLES * FEATURES, VAL * FEATURES, y + SAMPLES, VAL,
                            VAL));
  OK(nnstate_trainer_fit(trainer, train_set, val_set, NULL));

  /* The result: every tensor, the history without wall times, the learning rate. */
  out = fopen(out_path, "wb");
  if (!out) die("fopen");
  OK(nnstate_network_tensor_count(net, &count));
  for (n = 0; n < count; ++n) {
    const char *name;
    int32_t rank;
    int64_t dims[4];
    size_t elements = 1;
    float *values;
    int d;
    OK(nnstate_network_tensor_info(net, n, &name, NULL, &rank, dims));
    for (d = 0; d < rank; ++d) elements *= (size_t)dims[d];
    values = malloc(elements * sizeof *values);
    if (!values) die("malloc");
    OK(nnstate_network_get_tensor(net, name, values, elements));
    fwrite(values, sizeof *values, elements, out);
    free(values);
  }
  OK(nnstate_trainer_history_count(trainer, &count));
  for (n = 0; n < count; ++n) {
    nnstate_epoch_info row;
    row.struct_size = sizeof row;
    OK(nnstate_trainer_history_row(trainer, n, &row));
    row.seconds = 0.0;
    fwrite(&row, sizeof row, 1, out);
  }
  {
    double lr;
    OK(nnstate_network_get_lr(net, &lr));
    fwrite(&lr, sizeof lr, 1, out);
  }
  fclose(out);
  nnstate_dataset_free(train_set);
  nnstate_dataset_free(val_set);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}

static long file_size(const char *path, unsigned char **contents) {
  FILE *f = fopen(path, "rb");
  long size;
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  *contents = malloc((size_t)size + 1);
  if (!*contents || fread(*contents, 1, (size_t)size, f) != (size_t)size) size = -1;
  fclose(f);
  return size;
}

static pid_t spawn(const char *self, const char *dir, const char *out) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(self, self, "train", dir, out, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static int temporaries_seen = 0; /* kills that interrupted a save, for the report */

/* Every complete checkpoint in `dir` must verify; temporary files of killed saves are ignored. */
static int verify_directory(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  int files = 0;
  if (!d) return 0;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (strncmp(e->d_name, ".nnst-tmp-", 10) == 0) ++temporaries_seen;
    if (len < 5 || strcmp(e->d_name + len - 5, ".nnst") != 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (nnstate_checkpoint_verify(path) != NNSTATE_OK) {
      fprintf(stderr, "crash_resume: %s does not verify: %s\n", path, nnstate_last_error());
      closedir(d);
      return -1;
    }
    ++files;
  }
  closedir(d);
  return files;
}

static int selftest(const char *self, const char *work) {
  char ref_dir[4096], ref_out[4096], dir[4096], out[4096];
  unsigned char *expected = NULL, *actual = NULL;
  long expected_size, actual_size;
  uint32_t rng = 12345u;
  int kills = 0, kills_after_progress = 0, files, status, attempts = 0;
  pid_t pid;
  struct timespec start, now;
  double reference_seconds;

  snprintf(ref_dir, sizeof ref_dir, "%s/reference", work);
  snprintf(ref_out, sizeof ref_out, "%s/reference.bin", work);
  snprintf(dir, sizeof dir, "%s/crashed", work);
  snprintf(out, sizeof out, "%s/crashed.bin", work);
  mkdir(work, 0777);
  {
    /* Start from scratch: earlier runs' checkpoints would be resumed. */
    char command[12100];
    if (strlen(work) > 4000) return 2;
    snprintf(command, sizeof command, "rm -rf '%s/reference' '%s/crashed' '%s'/*.bin", work, work,
             work);
    if (system(command) != 0) return 2;
  }

  clock_gettime(CLOCK_MONOTONIC, &start);
  pid = spawn(self, ref_dir, ref_out);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "crash_resume: the reference run failed\n");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &now);
  reference_seconds = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
  expected_size = file_size(ref_out, &expected);

  /* Kill at pseudo-random moments within a quarter of a full run, until 20 kills happened. */
  while (kills < KILLS && attempts < 200) {
    long delay_us;
    ++attempts;
    rng = rng * 1664525u + 1013904223u;
    delay_us = (long)((rng >> 8) % (uint32_t)(reference_seconds * 1e6 / 4 + 1));
    pid = spawn(self, dir, out);
    {
      struct timespec pause;
      pause.tv_sec = delay_us / 1000000;
      pause.tv_nsec = (delay_us % 1000000) * 1000;
      nanosleep(&pause, NULL);
    }
    if (kill(pid, SIGKILL) != 0 || waitpid(pid, &status, 0) != pid) return 2;
    if (WIFSIGNALED(status)) {
      ++kills;
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "crash_resume: a training child failed on its own\n");
      return 1;
    }
    files = verify_directory(dir);
    if (files < 0) return 1;
    if (files > 0 && WIFSIGNALED(status)) ++kills_after_progress;
    remove(out);
  }
  if (kills < KILLS || kills_after_progress < KILLS / 2) {
    fprintf(stderr, "crash_resume: only %d kills landed, %d after a checkpoint existed\n", kills,
            kills_after_progress);
    return 1;
  }
  pid = spawn(self, dir, out);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "crash_resume: the final resumed run failed\n");
    return 1;
  }
  if (verify_directory(dir) <= 0) return 1;
  actual_size = file_size(out, &actual);
  if (expected_size <= 0 || actual_size != expected_size ||
      memcmp(expected, actual, (size_t)expected_size) != 0) {
    fprintf(stderr, "crash_resume: the resumed result differs from the uninterrupted run\n");
    return 1;
  }
  printf(
      "crash_resume: %d kills (%d with checkpoints on disk, %d inside a save; reference run "
      "%.2f s), resumed result identical\n",
      kills, kills_after_progress, temporaries_seen, reference_seconds);
  free(expected);
  free(actual);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "train") == 0) return train(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "selftest") == 0) return selftest(argv[0], argv[2]);
  fprintf(stderr, "usage: crash_resume selftest WORKDIR | crash_resume train DIR OUT\n");
  return 2;
}
