/*
 * A ResNet-18-style network (torchvision's resnet18 structure and module names, narrower) on
 * Fashion-MNIST through the C API: nodes added with nnstate_network_add_node, trained by the
 * trainer with Adam, a checkpoint every N steps and every epoch in RUN_DIR. Started again, it
 * resumes from the newest valid checkpoint, bitwise as if never interrupted. At the end it
 * saves RUN_DIR/final.nnst and prints the test accuracy and the training samples/s.
 *
 * Usage: resnet_fashion_mnist [options] DATA_DIR RUN_DIR
 *        resnet_fashion_mnist --print-state [--width W]
 *   DATA_DIR holds the four uncompressed IDX files (examples/fashion_mnist_data.sh makes it).
 *   --epochs N             epochs to train (default 2)
 *   --train-samples N      train on the first N training images (default: all 60000)
 *   --test-samples N       test on the first N test images (default: all 10000)
 *   --width W              channels of layer1 (default 16; torchvision's resnet18 has 64)
 *   --batch-size B         default 128
 *   --checkpoint-every N   steps between checkpoints (default 100)
 *   --crash-after-steps N  kill the process (SIGKILL, no cleanup) after global step N
 *   --print-state          print each tensor's name, role (parameter/buffer) and shape, and exit
 * Threads: OPENBLAS_NUM_THREADS (resume bitwise only with the same count).
 */
#define _POSIX_C_SOURCE 199309L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fashion_mnist_data.h"
#include "nnstate/nnstate.h"
#include "resnet_network.h"

typedef struct options {
  long long epochs, train_samples, test_samples, width, batch_size, checkpoint_every, crash_after;
  int print_state;
  const char *data_dir, *run_dir;
} options;

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "resnet_fashion_mnist: %s: %s\n", what, nnstate_last_error());
    exit(1);
  }
}

static void usage(const char *problem, const char *argument) {
  fprintf(stderr,
          "resnet_fashion_mnist: %s%s\n"
          "usage: resnet_fashion_mnist [--epochs N] [--train-samples N] [--test-samples N]\n"
          "         [--width W] [--batch-size B] [--checkpoint-every N] [--crash-after-steps N]\n"
          "         DATA_DIR RUN_DIR\n"
          "       resnet_fashion_mnist --print-state [--width W]\n",
          problem, argument);
  exit(2);
}

static long long positive(const char *option, const char *text) {
  char *end;
  long long value = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 1) {
    fprintf(stderr, "resnet_fashion_mnist: %s needs a positive integer, not \"%s\"\n", option,
            text);
    exit(2);
  }
  return value;
}

static options parse(int argc, char **argv) {
  options o = {2, 0, 0, 16, 128, 100, 0, 0, NULL, NULL};
  int i, positional = 0;
  for (i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    long long *target = NULL;
    if (strcmp(arg, "--print-state") == 0) {
      o.print_state = 1;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      if (positional == 0) o.data_dir = arg;
      if (positional == 1) o.run_dir = arg;
      if (++positional > 2) usage("too many arguments: ", arg);
      continue;
    }
    if (strcmp(arg, "--epochs") == 0) target = &o.epochs;
    if (strcmp(arg, "--train-samples") == 0) target = &o.train_samples;
    if (strcmp(arg, "--test-samples") == 0) target = &o.test_samples;
    if (strcmp(arg, "--width") == 0) target = &o.width;
    if (strcmp(arg, "--batch-size") == 0) target = &o.batch_size;
    if (strcmp(arg, "--checkpoint-every") == 0) target = &o.checkpoint_every;
    if (strcmp(arg, "--crash-after-steps") == 0) target = &o.crash_after;
    if (!target) usage("unknown option ", arg);
    if (++i == argc) usage("no value after ", arg);
    *target = positive(arg, argv[i]);
  }
  if (o.width > 1024) usage("--width is at most 1024", "");
  if (!o.print_state && positional != 2) usage("DATA_DIR and RUN_DIR are needed", "");
  return o;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What the callbacks share: the crash point and the samples trained by this process. */
typedef struct progress {
  long long crash_after;
  long long samples;
} progress;

static int32_t on_batch(const nnstate_batch_info *info, void *user_data) {
  progress *p = user_data;
  p->samples += info->samples;
  if (p->crash_after > 0 && info->global_step == p->crash_after) {
    printf("simulating a crash at step %lld\n", p->crash_after);
    fflush(stdout);
    raise(SIGKILL);
  }
  return 0;
}

static int32_t on_epoch(const nnstate_epoch_info *e, void *user_data) {
  (void)user_data;
  printf("epoch %2lld  loss %.4f  acc %.4f  %.1f s\n", (long long)e->epoch + 1, e->loss,
         e->accuracy, e->seconds);
  fflush(stdout);
  return 0;
}

static void print_state(const nnstate_network *net) {
  size_t count = 0, i;
  check(nnstate_network_tensor_count(net, &count), "tensor count");
  for (i = 0; i < count; ++i) {
    const char *name = NULL;
    int32_t role = 0, rank = 0, d;
    int64_t dims[4];
    check(nnstate_network_tensor_info(net, i, &name, &role, &rank, dims), "tensor info");
    printf("%s %s", name, role == NNSTATE_ROLE_PARAMETER ? "parameter" : "buffer");
    for (d = 0; d < rank; ++d) printf(" %lld", (long long)dims[d]);
    printf("\n");
  }
}

static double test_accuracy(nnstate_network *net, const float *x, const float *y, size_t n) {
  enum { CHUNK = 500 };
  static float scores[CHUNK * FASHION_MNIST_CLASSES];
  size_t start, i, correct = 0;
  for (start = 0; start < n; start += CHUNK) {
    const size_t count = n - start < CHUNK ? n - start : CHUNK;
    check(
        nnstate_network_predict(net, x + start * FASHION_MNIST_PIXELS, count * FASHION_MNIST_PIXELS,
                                count, scores, count * FASHION_MNIST_CLASSES),
        "predict");
    for (i = 0; i < count; ++i) {
      const float *s = scores + i * FASHION_MNIST_CLASSES;
      size_t c, best = 0;
      for (c = 1; c < FASHION_MNIST_CLASSES; ++c) best = s[c] > s[best] ? c : best;
      correct += (float)best == y[start + i];
    }
  }
  return (double)correct / (double)n;
}

int main(int argc, char **argv) {
  const options o = parse(argc, argv);
  fashion_mnist data;
  size_t train_n, test_n;
  char final_path[4096];
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options trainer_options;
  nnstate_checkpoint_policy policy;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train = NULL;
  progress p = {0, 0};
  int32_t found = 0, reason = 0;
  uint64_t parameters = 0;
  double start, seconds;

  check(nnstate_network_create(&net, 1), "create");
  check(resnet18_build(net, 1, 28, 28, o.width, FASHION_MNIST_CLASSES), "resnet18");
  if (o.print_state) {
    print_state(net);
    nnstate_network_free(net);
    return 0;
  }
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  check(nnstate_network_set_optimizer(net, &adam), "optimizer");
  check(nnstate_network_parameter_count(net, &parameters), "parameter count");

  fashion_mnist_load(o.data_dir, &data);
  train_n = o.train_samples && (size_t)o.train_samples < data.train_n ? (size_t)o.train_samples
                                                                      : data.train_n;
  test_n =
      o.test_samples && (size_t)o.test_samples < data.test_n ? (size_t)o.test_samples : data.test_n;
  printf(
      "ResNet-18 structure, width %lld (%lld/%lld/%lld/%lld channels), %llu parameters;"
      " Adam 1e-3, batch %lld, %lld epochs of %zu images\n",
      o.width, o.width, 2 * o.width, 4 * o.width, 8 * o.width, (unsigned long long)parameters,
      o.batch_size, o.epochs, train_n);

  check(nnstate_trainer_options_init(&trainer_options), "options");
  trainer_options.epochs = o.epochs;
  trainer_options.batch_size = o.batch_size;
  check(nnstate_trainer_create(&trainer, net, &trainer_options, NULL, NULL), "trainer");
  check(nnstate_checkpoint_policy_init(&policy), "policy");
  policy.directory = o.run_dir;
  policy.every_steps = o.checkpoint_every;
  policy.monitor = "loss"; /* no validation set: the best checkpoint is by training loss */
  check(nnstate_trainer_set_checkpointing(trainer, &policy), "checkpointing");
  p.crash_after = o.crash_after;
  check(nnstate_trainer_set_callbacks(trainer, on_epoch, on_batch, &p), "callbacks");
  check(nnstate_trainer_resume_latest(trainer, o.run_dir, &found), "resume");
  if (*nnstate_trainer_warnings(trainer))
    printf("warning: %s\n", nnstate_trainer_warnings(trainer));
  if (found) {
    int64_t epoch, step;
    check(nnstate_trainer_position(trainer, &epoch, &step, NULL), "position");
    printf("resumed from %s at epoch %lld, step %lld\n", o.run_dir, (long long)epoch + 1,
           (long long)step);
  }

  check(nnstate_dataset_create(&train, data.train_x, train_n * FASHION_MNIST_PIXELS, data.train_y,
                               train_n, train_n),
        "dataset");
  start = now_seconds();
  check(nnstate_trainer_fit(trainer, train, NULL, &reason), "fit");
  seconds = now_seconds() - start;
  snprintf(final_path, sizeof final_path, "%s/final.nnst", o.run_dir);
  check(nnstate_trainer_save(trainer, final_path, NULL), "save");
  if (p.samples > 0) {
    printf("trained %lld samples in %.1f s: %.0f samples/s (checkpoint saves included)\n",
           p.samples, seconds, (double)p.samples / seconds);
  }
  printf("test accuracy: %.4f (%zu images)\n", test_accuracy(net, data.test_x, data.test_y, test_n),
         test_n);

  fashion_mnist_free(&data);
  nnstate_dataset_free(train);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}
