/* Verification throughput on many small parts: a file of 100,000 ReLU layers against one of
 * 100,000 tensors (50,000 Linear(2, 2) layers), through the public C API. Validation is linear
 * in the file size, so both run at a comparable rate; the ratio is printed.
 * Usage: checkpoint_verify_bench [dir] (default /tmp). Best of 5 runs each. */
#define _POSIX_C_SOURCE 200809L
#include <nnstate/nnstate.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static void ok(nnstate_status s, const char *what) {
  if (s != NNSTATE_OK) {
    fprintf(stderr, "%s: %s\n", what, nnstate_last_error());
    exit(1);
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Saves `network` to `path`, then returns the best verify rate in MB/s. */
static double verify_rate(nnstate_network *network, const char *path, const char *label) {
  struct stat st;
  double best = 1e30;
  int run;
  ok(nnstate_checkpoint_save(network, path, NULL), "save");
  stat(path, &st);
  for (run = 0; run < 5; ++run) {
    double start = now();
    ok(nnstate_checkpoint_verify(path), "verify");
    if (now() - start < best) best = now() - start;
  }
  printf("  %-24s %9.0f bytes  verify %8.4f s  %8.1f MB/s\n", label, (double)st.st_size, best,
         (double)st.st_size / best / 1e6);
  remove(path);
  return (double)st.st_size / best / 1e6;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char path[4096];
  nnstate_network *deep, *wide;
  double deep_rate, wide_rate;
  int i;
  snprintf(path, sizeof path, "%s/nnstate-verify-bench.nnst", dir);

  ok(nnstate_network_create(&deep, 1), "create");
  ok(nnstate_network_add_linear(deep, 4, 4, 1), "linear");
  for (i = 0; i < 100000; ++i) ok(nnstate_network_add_activation(deep, NNSTATE_LAYER_RELU), "relu");
  ok(nnstate_network_create(&wide, 2), "create");
  for (i = 0; i < 50000; ++i) ok(nnstate_network_add_linear(wide, 2, 2, 1), "linear");

  printf("checkpoint_verify_bench (best of 5):\n");
  deep_rate = verify_rate(deep, path, "100,000 ReLU layers");
  wide_rate = verify_rate(wide, path, "100,000 tensors");
  printf("  layer file / tensor file verify rate: %.2f\n", deep_rate / wide_rate);
  nnstate_network_free(deep);
  nnstate_network_free(wide);
  return 0;
}
