/*
 * Training-throughput benchmark of libnnstate through its public C API only.
 *
 * Model: MLP 784-512-256-10 with ReLU, CrossEntropyLoss (targets are class indices stored as
 * floats), Adam lr 1e-3, batch 128. Data: BATCHES synthetic mini-batches (fixed-seed uniform
 * [0, 1) inputs, uniform labels 0..9) generated once and reused in turn. `warmup` untimed steps,
 * then `steps` timed steps; prints samples/s and ms/step (mean over the timed steps, plus the
 * median step so a neighbour's burst on the shared machine shows).
 *
 * Usage: mlp_train [steps (default 300)] [warmup (default 30)]
 * The last line is machine-readable: "RESULT nnstate samples_per_s=... ms_per_step=...
 * median_ms_per_step=...". bench/mlp_train_torch.py is the PyTorch twin of this program.
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "mlp_network.h"
#include "nnstate/nnstate.h"

#define IN MLP_IN
#define H1 MLP_H1
#define H2 MLP_H2
#define CLASSES MLP_CLASSES
#define BATCH 128
#define BATCHES 60

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "mlp_train: %s failed: %s: %s\n", what, nnstate_status_string(status),
            nnstate_last_error());
    exit(1);
  }
}

/* xorshift64* for the benchmark data only. */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t next_u64(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static float next_uniform(void) {
  return (float)(next_u64() >> 40) / 16777216.0f;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Minor page faults of this process so far: ~14 us each on this machine (DESIGN.md). */
static long minor_faults(void) {
  struct rusage usage;
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_minflt : 0;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static long parse_count(const char *text, const char *what, long minimum) {
  char *end = NULL;
  long value = strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < minimum || value > 100000000L) {
    fprintf(stderr, "mlp_train: %s must be an integer >= %ld, got \"%s\"\n", what, minimum, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  long steps = argc > 1 ? parse_count(argv[1], "steps", 1) : 300;
  long warmup = argc > 2 ? parse_count(argv[2], "warmup", 0) : 30;
  size_t i;
  long s;
  float *inputs, *targets, first_loss = 0.0f, loss = 0.0f;
  double *step_seconds, start, total, median;
  long faults;
  nnstate_network *net = NULL;
  uint64_t parameters = 0;

  if (argc > 3) {
    fprintf(stderr, "usage: %s [steps] [warmup]\n", argv[0]);
    return 2;
  }
  inputs = malloc(sizeof(float) * (size_t)BATCHES * BATCH * IN);
  targets = malloc(sizeof(float) * (size_t)BATCHES * BATCH);
  step_seconds = malloc(sizeof(double) * (size_t)steps);
  if (!inputs || !targets || !step_seconds) {
    fprintf(stderr, "mlp_train: out of memory\n");
    return 1;
  }
  for (i = 0; i < (size_t)BATCHES * BATCH * IN; ++i) inputs[i] = next_uniform();
  for (i = 0; i < (size_t)BATCHES * BATCH; ++i) targets[i] = (float)(next_u64() % CLASSES);

  check(nnstate_network_create(&net, 1234), "network_create");
  check(build_mlp_network(net, 1e-3), "building the MLP");
  check(nnstate_network_parameter_count(net, &parameters), "parameter_count");

  printf(
      "libnnstate %s: MLP %d-%d-%d-%d ReLU, CrossEntropyLoss, Adam lr 1e-3, batch %d, "
      "%llu parameters\n",
      nnstate_version_string(), IN, H1, H2, CLASSES, BATCH, (unsigned long long)parameters);
  printf("data: %d synthetic batches reused; warm-up %ld steps, timed %ld steps\n", BATCHES, warmup,
         steps);

  for (s = 0; s < warmup; ++s) {
    size_t b = (size_t)(s % BATCHES);
    check(nnstate_network_train_step(net, inputs + b * BATCH * IN, (size_t)BATCH * IN,
                                     targets + b * BATCH, BATCH, BATCH, &loss),
          "train_step");
    if (s == 0) first_loss = loss;
  }
  faults = minor_faults();
  start = now_seconds();
  for (s = 0; s < steps; ++s) {
    size_t b = (size_t)((warmup + s) % BATCHES);
    double t0 = now_seconds();
    check(nnstate_network_train_step(net, inputs + b * BATCH * IN, (size_t)BATCH * IN,
                                     targets + b * BATCH, BATCH, BATCH, &loss),
          "train_step");
    step_seconds[s] = now_seconds() - t0;
    if (warmup == 0 && s == 0) first_loss = loss;
  }
  total = now_seconds() - start;
  faults = minor_faults() - faults;
  qsort(step_seconds, (size_t)steps, sizeof(double), compare_doubles);
  median = steps % 2 ? step_seconds[steps / 2]
                     : 0.5 * (step_seconds[steps / 2 - 1] + step_seconds[steps / 2]);

  printf("loss: first step %.4f, last step %.4f\n", first_loss, loss);
  printf("minor page faults during the timed steps: %ld (%.2f per step)\n", faults,
         (double)faults / (double)steps);
  printf(
      "libnnstate: %.0f samples/s, %.3f ms/step (mean), %.3f ms/step (median), "
      "%.3f ms/step (fastest)\n",
      (double)steps * BATCH / total, 1e3 * total / (double)steps, 1e3 * median,
      1e3 * step_seconds[0]);
  printf("RESULT nnstate samples_per_s=%.1f ms_per_step=%.4f median_ms_per_step=%.4f\n",
         (double)steps * BATCH / total, 1e3 * total / (double)steps, 1e3 * median);

  nnstate_network_free(net);
  free(step_seconds);
  free(targets);
  free(inputs);
  return 0;
}
