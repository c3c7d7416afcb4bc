/* Helpers shared by the checkpoint C API tests (C99 + POSIX). */
#ifndef NNSTATE_TESTS_CAPI_CHECKPOINT_COMMON_H
#define NNSTATE_TESTS_CAPI_CHECKPOINT_COMMON_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* A deterministic mini-batch for step `step`: 5 samples of 4 inputs and 3 targets. */
static inline void ckpt_batch(int step, float *inputs, float *targets) {
  int i;
  for (i = 0; i < 20; ++i) inputs[i] = (float)(((i * 7 + step * 13) % 17) - 8) / 8.0f;
  for (i = 0; i < 15; ++i) targets[i] = (float)(((i * 5 + step * 3) % 11) - 5) / 5.0f;
}

static inline void ckpt_train(nnstate_network *net, int first, int steps) {
  float x[20], y[15];
  int s;
  for (s = first; s < first + steps; ++s) {
    ckpt_batch(s, x, y);
    CHECK_OK(nnstate_network_train_step(net, x, 20, y, 15, 5, NULL));
  }
}

/* MLP 4-8-3 with ReLU, MSE, Adam (lr 0.01), trained `steps` steps. */
static inline nnstate_network *ckpt_model(int steps) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options o;
  CHECK_OK(nnstate_network_create(&net, 42));
  CHECK_OK(nnstate_network_add_linear(net, 4, 8, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 8, 3, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM));
  o.lr = 0.01;
  CHECK_OK(nnstate_network_set_optimizer(net, &o));
  ckpt_train(net, 0, steps);
  return net;
}

/* A new directory under TMPDIR; the caller removes it with ckpt_rmdir. */
static inline void ckpt_mkdtemp(char *path, size_t size) {
  const char *base = getenv("TMPDIR");
  snprintf(path, size, "%s/nnstate-capi-XXXXXX", base ? base : "/tmp");
  CHECK(mkdtemp(path) != NULL);
}

/* out = dir + "/" + name; exits when it does not fit. */
static inline void ckpt_join(char *out, size_t size, const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  CHECK(a + 1 + b < size);
  memcpy(out, dir, a);
  out[a] = '/';
  memcpy(out + a + 1, name, b + 1);
}

static inline void ckpt_rmdir(const char *path) {
  char command[600];
  snprintf(command, sizeof command, "rm -rf '%s'", path);
  CHECK(system(command) == 0);
}

/* Whether two checkpoints hold bitwise-identical tensors and the same optimizer step. */
static inline int ckpt_same_state(const char *a_path, const char *b_path) {
  nnstate_checkpoint *a = NULL, *b = NULL;
  size_t count_a, count_b, i;
  int64_t step_a, step_b;
  int same = 1;
  CHECK_OK(nnstate_checkpoint_open(&a, a_path, NULL));
  CHECK_OK(nnstate_checkpoint_open(&b, b_path, NULL));
  CHECK_OK(nnstate_checkpoint_tensor_count(a, &count_a));
  CHECK_OK(nnstate_checkpoint_tensor_count(b, &count_b));
  CHECK_OK(nnstate_checkpoint_optimizer(a, NULL, &step_a));
  CHECK_OK(nnstate_checkpoint_optimizer(b, NULL, &step_b));
  if (count_a != count_b || step_a != step_b) same = 0;
  for (i = 0; same && i < count_a; ++i) {
    const char *name;
    const float *da, *db;
    size_t na, nb;
    CHECK_OK(nnstate_checkpoint_tensor_info(a, i, &name, NULL, NULL, NULL, NULL));
    CHECK_OK(nnstate_checkpoint_tensor_data(a, name, &da, &na));
    if (nnstate_checkpoint_tensor_data(b, name, &db, &nb) != NNSTATE_OK || na != nb ||
        memcmp(da, db, na * sizeof(float)) != 0) {
      fprintf(stderr, "tensor \"%s\" differs between %s and %s\n", name, a_path, b_path);
      same = 0;
    }
  }
  nnstate_checkpoint_free(a);
  nnstate_checkpoint_free(b);
  return same;
}

/* Entries in `dir` other than "." and "..". */
static inline size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  CHECK(d != NULL);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++n;
  }
  closedir(d);
  return n;
}

#endif /* NNSTATE_TESTS_CAPI_CHECKPOINT_COMMON_H */
