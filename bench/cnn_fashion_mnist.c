/*
 * A small CNN trained on Fashion-MNIST through libnnstate's public C API only.
 *
 * Model (input [1, 28, 28], pixels / 255):
 *   Conv2d(1, 16, 3, padding=1), BatchNorm2d(16), ReLU, MaxPool2d(2),
 *   Conv2d(16, 32, 3, padding=1), BatchNorm2d(32), ReLU, MaxPool2d(2),
 *   Flatten, Dropout(0.25), Linear(1568, 128), ReLU, Linear(128, 10)
 * CrossEntropyLoss, Adam lr 1e-3, batch 128, the training set reshuffled every epoch.
 * After each epoch: test accuracy in eval mode, epoch time and training samples/s.
 * bench/cnn_fashion_mnist_torch.py is the PyTorch twin.
 *
 * Usage: cnn_fashion_mnist DIR [epochs (default 5)]
 *   DIR holds the decompressed IDX files of Debian's dataset-fashion-mnist
 *   (/usr/share/datasets/fashion-mnist/NAME.gz), each unpacked with
 *   gzip -dc NAME.gz > DIR/NAME
 * The last line is machine-readable: "RESULT nnstate ...".
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnstate/nnstate.h"

#define PIXELS 784
#define CLASSES 10
#define BATCH 128

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "cnn_fashion_mnist: %s failed: %s: %s\n", what, nnstate_status_string(status),
            nnstate_last_error());
    exit(1);
  }
}

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_seconds(void) {
  return clock_seconds(CLOCK_MONOTONIC);
}

/* Process CPU time: on a shared machine, the work done without the waits for a core. */
static double cpu_seconds(void) {
  return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

static uint32_t read_be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads an IDX file of unsigned bytes with `dims` dimensions; returns the item count and the
 * values as floats scaled by `scale`. Exits on any mismatch. */
static float *read_idx(const char *dir, const char *name, int dims, size_t item_size, float scale,
                       size_t *count) {
  char path[1024];
  unsigned char header[16];
  FILE *f;
  size_t n, i, total;
  unsigned char *bytes;
  float *values;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cnn_fashion_mnist: cannot open %s (see the usage comment)\n", path);
    exit(2);
  }
  if (fread(header, 1, 4 + 4 * (size_t)dims, f) != 4 + 4 * (size_t)dims ||
      read_be32(header) != (uint32_t)(0x800 + dims)) {
    fprintf(stderr, "cnn_fashion_mnist: %s is not an IDX file of %d dims\n", path, dims);
    exit(2);
  }
  n = read_be32(header + 4);
  total = n * item_size;
  bytes = malloc(total);
  values = malloc(total * sizeof(float));
  if (!bytes || !values || fread(bytes, 1, total, f) != total) {
    fprintf(stderr, "cnn_fashion_mnist: cannot read %zu values from %s\n", total, path);
    exit(2);
  }
  fclose(f);
  for (i = 0; i < total; ++i) values[i] = (float)bytes[i] * scale;
  free(bytes);
  *count = n;
  return values;
}

/* xorshift64* for the shuffle only. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}

static void add_conv_block(nnstate_network *net, int64_t in, int64_t out) {
  nnstate_conv2d_options conv;
  check(nnstate_conv2d_options_init(&conv, in, out, 3), "conv2d_options_init");
  conv.padding_h = conv.padding_w = 1;
  check(nnstate_network_add_conv2d(net, &conv), "add_conv2d");
  check(nnstate_network_add_batch_norm(net, 2, out, 1e-5, 0.1, 1, 1), "add_batch_norm");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "add_activation");
  check(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 0, 0), "add_max_pool2d");
}

static double test_accuracy(nnstate_network *net, const float *x, const float *y, size_t n) {
  static float out[1000 * CLASSES];
  size_t start, i, correct = 0;
  for (start = 0; start < n; start += 1000) {
    size_t count = n - start < 1000 ? n - start : 1000;
    check(nnstate_network_predict(net, x + start * PIXELS, count * PIXELS, count, out,
                                  count * CLASSES),
          "predict");
    for (i = 0; i < count; ++i) {
      size_t k, best = 0;
      for (k = 1; k < CLASSES; ++k) {
        if (out[i * CLASSES + k] > out[i * CLASSES + best]) best = k;
      }
      correct += best == (size_t)y[start + i];
    }
  }
  return (double)correct / (double)n;
}

int main(int argc, char **argv) {
  const int64_t input_shape[3] = {1, 28, 28};
  long epochs = argc > 2 ? strtol(argv[2], NULL, 10) : 5, e;
  size_t train_n, test_n, labels_n, i, b, batches;
  float *train_x, *train_y, *test_x, *test_y, *batch_x, *batch_y;
  size_t *order;
  double total_time = 0.0, total_cpu = 0.0, accuracy = 0.0;
  uint64_t parameters = 0;
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  const char *core = getenv("OPENBLAS_CORETYPE"), *threads = getenv("OPENBLAS_NUM_THREADS");

  if (argc < 2 || argc > 3 || epochs < 1) {
    fprintf(stderr, "usage: %s DIR [epochs]\n", argv[0]);
    return 2;
  }
  train_x = read_idx(argv[1], "train-images-idx3-ubyte", 3, PIXELS, 1.0f / 255.0f, &train_n);
  train_y = read_idx(argv[1], "train-labels-idx1-ubyte", 1, 1, 1.0f, &labels_n);
  if (labels_n != train_n) return fprintf(stderr, "training labels do not match\n"), 2;
  test_x = read_idx(argv[1], "t10k-images-idx3-ubyte", 3, PIXELS, 1.0f / 255.0f, &test_n);
  test_y = read_idx(argv[1], "t10k-labels-idx1-ubyte", 1, 1, 1.0f, &labels_n);
  if (labels_n != test_n) return fprintf(stderr, "test labels do not match\n"), 2;
  order = malloc(train_n * sizeof *order);
  batch_x = malloc((size_t)BATCH * PIXELS * sizeof(float));
  batch_y = malloc((size_t)BATCH * sizeof(float));
  if (!order || !batch_x || !batch_y) return fprintf(stderr, "out of memory\n"), 1;
  for (i = 0; i < train_n; ++i) order[i] = i;

  check(nnstate_network_create(&net, 1), "network_create");
  check(nnstate_network_set_input_shape(net, input_shape, 3), "set_input_shape");
  add_conv_block(net, 1, 16);
  add_conv_block(net, 16, 32);
  check(nnstate_network_add_flatten(net), "add_flatten");
  check(nnstate_network_add_dropout(net, 0.25), "add_dropout");
  check(nnstate_network_add_linear(net, 32 * 7 * 7, 128, 1), "add_linear");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "add_activation");
  check(nnstate_network_add_linear(net, 128, CLASSES, 1), "add_linear");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "set_loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "optimizer_options_init");
  check(nnstate_network_set_optimizer(net, &adam), "set_optimizer");
  check(nnstate_network_parameter_count(net, &parameters), "parameter_count");
  printf(
      "libnnstate %s: CNN (conv16-bn-relu-pool, conv32-bn-relu-pool, dropout 0.25, "
      "fc128, fc10), %llu parameters, Adam 1e-3, batch %d\n",
      nnstate_version_string(), (unsigned long long)parameters, BATCH);
  printf("data: %zu training, %zu test images; OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s\n",
         train_n, test_n, core ? core : "(auto)", threads ? threads : "(default)");

  batches = train_n / BATCH; /* the last incomplete batch is dropped */
  for (e = 1; e <= epochs; ++e) {
    double start = now_seconds(), cpu_start = cpu_seconds(), seconds, loss_sum = 0.0;
    for (i = train_n - 1; i > 0; --i) {
      size_t j = (size_t)(next_u64() % (i + 1)), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (b = 0; b < batches; ++b) {
      float loss = 0.0f;
      for (i = 0; i < BATCH; ++i) {
        size_t s = order[b * BATCH + i];
        memcpy(batch_x + i * PIXELS, train_x + s * PIXELS, PIXELS * sizeof(float));
        batch_y[i] = train_y[s];
      }
      check(nnstate_network_train_step(net, batch_x, (size_t)BATCH * PIXELS, batch_y, BATCH, BATCH,
                                       &loss),
            "train_step");
      loss_sum += loss;
    }
    seconds = now_seconds() - start;
    total_time += seconds;
    total_cpu += cpu_seconds() - cpu_start;
    accuracy = test_accuracy(net, test_x, test_y, test_n);
    printf("epoch %ld: loss %.4f, test accuracy %.2f%%, %.1f s, %.0f samples/s\n", e,
           loss_sum / (double)batches, 100.0 * accuracy, seconds,
           (double)(batches * BATCH) / seconds);
    fflush(stdout);
  }
  printf(
      "RESULT nnstate epochs=%ld test_accuracy=%.4f train_seconds=%.1f samples_per_s=%.0f "
      "train_cpu_seconds=%.1f samples_per_cpu_s=%.0f\n",
      epochs, accuracy, total_time, (double)(epochs * (long)(batches * BATCH)) / total_time,
      total_cpu, (double)(epochs * (long)(batches * BATCH)) / total_cpu);

  nnstate_network_free(net);
  free(order);
  free(batch_x);
  free(batch_y);
  free(train_x);
  free(train_y);
  free(test_x);
  free(test_y);
  return 0;
}
