/*
 * A ResNet-18-style network (torchvision resnet18's structure, layer1 `width` channels wide) on
 * Fashion-MNIST through libnnstate's public C API only: the network of
 * examples/resnet_fashion_mnist.c (examples/resnet_network.c), trained by a plain loop of
 * nnstate_network_train_step without checkpoints, to time the training itself.
 * CrossEntropyLoss, Adam lr 1e-3, the training set reshuffled every epoch, the last incomplete
 * batch dropped. After each epoch: test accuracy in eval mode, epoch time and samples/s.
 * bench/resnet_fashion_mnist_torch.py is the PyTorch twin; bench/run_resnet_bench.sh runs both.
 *
 * Usage: resnet_fashion_mnist DIR [epochs (2)] [train samples (all)] [width (16)] [batch (128)]
 *   DIR holds the decompressed IDX files (examples/fashion_mnist_data.sh DIR makes it).
 * The last line is machine-readable: "RESULT nnstate ...".
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fashion_mnist_data.h"
#include "nnstate/nnstate.h"
#include "resnet_network.h"

#define PIXELS FASHION_MNIST_PIXELS
#define CLASSES FASHION_MNIST_CLASSES

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "resnet_fashion_mnist: %s failed: %s: %s\n", what,
            nnstate_status_string(status), nnstate_last_error());
    exit(1);
  }
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64* for the shuffle only. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}

static long argument(int argc, char **argv, int i, long fallback) {
  long value = argc > i ? strtol(argv[i], NULL, 10) : fallback;
  if (value < 0 || (value == 0 && argc > i && i != 3)) {
    fprintf(stderr, "resnet_fashion_mnist: argument %d (\"%s\") must be a positive integer\n", i,
            argv[i]);
    exit(2);
  }
  return value;
}

static double test_accuracy(nnstate_network *net, const float *x, const float *y, size_t n) {
  static float out[500 * CLASSES];
  size_t start, i, correct = 0;
  for (start = 0; start < n; start += 500) {
    size_t count = n - start < 500 ? n - start : 500;
    check(nnstate_network_predict(net, x + start * PIXELS, count * PIXELS, count, out,
                                  count * CLASSES),
          "predict");
    for (i = 0; i < count; ++i) {
      size_t k, best = 0;
      for (k = 1; k < CLASSES; ++k)
        best = out[i * CLASSES + k] > out[i * CLASSES + best] ? k : best;
      correct += best == (size_t)y[start + i];
    }
  }
  return (double)correct / (double)n;
}

int main(int argc, char **argv) {
  const long epochs = argument(argc, argv, 2, 2), subset = argument(argc, argv, 3, 0),
             width = argument(argc, argv, 4, 16), batch = argument(argc, argv, 5, 128);
  fashion_mnist data;
  size_t train_n, i, b, batches;
  long e;
  float *batch_x, *batch_y;
  size_t *order;
  double total_time = 0.0, accuracy = 0.0;
  uint64_t parameters = 0;
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  const char *core = getenv("OPENBLAS_CORETYPE"), *threads = getenv("OPENBLAS_NUM_THREADS");

  if (argc < 2 || argc > 6 || epochs < 1 || width < 1 || width > 1024 || batch < 1) {
    fprintf(stderr, "usage: %s DIR [epochs] [train samples] [width] [batch]\n", argv[0]);
    return 2;
  }
  fashion_mnist_load(argv[1], &data);
  train_n = subset > 0 && (size_t)subset < data.train_n ? (size_t)subset : data.train_n;
  batches = train_n / (size_t)batch; /* the last incomplete batch is dropped */
  if (batches == 0) return fprintf(stderr, "fewer training samples than one batch\n"), 2;
  order = malloc(train_n * sizeof *order);
  batch_x = malloc((size_t)batch * PIXELS * sizeof(float));
  batch_y = malloc((size_t)batch * sizeof(float));
  if (!order || !batch_x || !batch_y) return fprintf(stderr, "out of memory\n"), 1;
  for (i = 0; i < train_n; ++i) order[i] = i;

  check(nnstate_network_create(&net, 1), "network_create");
  check(resnet18_build(net, 1, 28, 28, width, CLASSES), "resnet18_build");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "set_loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "optimizer_options_init");
  check(nnstate_network_set_optimizer(net, &adam), "set_optimizer");
  check(nnstate_network_parameter_count(net, &parameters), "parameter_count");
  printf("libnnstate %s: ResNet-18 structure, width %ld, %llu parameters, Adam 1e-3, batch %ld\n",
         nnstate_version_string(), width, (unsigned long long)parameters, batch);
  printf("data: %zu training, %zu test images; OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s\n",
         train_n, data.test_n, core ? core : "(auto)", threads ? threads : "(default)");

  for (e = 1; e <= epochs; ++e) {
    double start = now_seconds(), seconds, loss_sum = 0.0;
    for (i = train_n - 1; i > 0; --i) {
      size_t j = (size_t)(next_u64() % (i + 1)), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (b = 0; b < batches; ++b) {
      float loss = 0.0f;
      for (i = 0; i < (size_t)batch; ++i) {
        size_t s = order[b * (size_t)batch + i];
        memcpy(batch_x + i * PIXELS, data.train_x + s * PIXELS, PIXELS * sizeof(float));
        batch_y[i] = data.train_y[s];
      }
      check(nnstate_network_train_step(net, batch_x, (size_t)batch * PIXELS, batch_y, (size_t)batch,
                                       (size_t)batch, &loss),
            "train_step");
      loss_sum += loss;
    }
    seconds = now_seconds() - start;
    total_time += seconds;
    accuracy = test_accuracy(net, data.test_x, data.test_y, data.test_n);
    printf("epoch %ld: loss %.4f, test accuracy %.2f%%, %.1f s, %.0f samples/s\n", e,
           loss_sum / (double)batches, 100.0 * accuracy, seconds,
           (double)(batches * (size_t)batch) / seconds);
    fflush(stdout);
  }
  printf("RESULT nnstate epochs=%ld test_accuracy=%.4f train_seconds=%.1f samples_per_s=%.0f\n",
         epochs, accuracy, total_time,
         (double)epochs * (double)(batches * (size_t)batch) / total_time);

  nnstate_network_free(net);
  free(order);
  free(batch_x);
  free(batch_y);
  fashion_mnist_free(&data);
  return 0;
}
