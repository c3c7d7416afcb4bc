/*
 * The regression of ../shared/seeds/001: y = sin(x1)cos(x2) + x3 + x4^2 + sqrt|x1 + x3| +
 * noise/100 with x ~ N(0, 1), 1000 samples split 80/20, learned by a plain MLP with Adam
 * (lr 1e-3, batch 100) through the C API. Prints train and test MSE every 25 epochs.
 *
 * Usage: regression_demo [epochs]   (default 400). Exits non-zero if the final test MSE is
 * not below 0.1, so the demo doubles as an end-to-end check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nnstate/nnstate.h"

#define SAMPLES 1000
#define TRAIN 800
#define FEATURES 4
#define BATCH 100

/* xorshift64* for the demo's data only; the library has its own checkpointed generator. */
static uint64_t demo_state = 0x9E3779B97F4A7C15ull;
static double demo_uniform(void) {
  demo_state ^= demo_state >> 12;
  demo_state ^= demo_state << 25;
  demo_state ^= demo_state >> 27;
  return (double)((demo_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}
static double demo_normal(void) {
  double u1 = 1.0 - demo_uniform(), u2 = demo_uniform();
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, nnstate_status_string(status),
            nnstate_last_error());
    exit(1);
  }
  return 0;
}

int main(int argc, char **argv) {
  int epochs = argc > 1 ? atoi(argv[1]) : 400;
  static float x[SAMPLES * FEATURES], y[SAMPLES], batch_x[BATCH * FEATURES], batch_y[BATCH];
  static int order[TRAIN];
  int i, j, epoch;
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  float train_loss = 0.0f, test_loss = 0.0f;

  for (i = 0; i < SAMPLES; ++i) {
    double f[FEATURES];
    for (j = 0; j < FEATURES; ++j) f[j] = demo_normal();
    for (j = 0; j < FEATURES; ++j) x[i * FEATURES + j] = (float)f[j];
    y[i] = (float)(sin(f[0]) * cos(f[1]) + f[2] + f[3] * f[3] + sqrt(fabs(f[0] + f[2])) +
                   demo_uniform() / 100.0);
  }

  check(nnstate_network_create(&net, 42), "create");
  check(nnstate_network_add_linear(net, FEATURES, 256, 1), "linear");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  check(nnstate_network_add_linear(net, 256, 256, 1), "linear");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  check(nnstate_network_add_linear(net, 256, 1, 1), "linear");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE), "loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "options");
  adam.lr = 1e-3;
  check(nnstate_network_set_optimizer(net, &adam), "optimizer");

  for (i = 0; i < TRAIN; ++i) order[i] = i;
  for (epoch = 1; epoch <= epochs; ++epoch) {
    double sum = 0.0;
    for (i = TRAIN - 1; i > 0; --i) { /* shuffle the training samples each epoch */
      int k = (int)(demo_uniform() * (i + 1)), t = order[i];
      order[i] = order[k];
      order[k] = t;
    }
    for (i = 0; i < TRAIN; i += BATCH) {
      float loss;
      for (j = 0; j < BATCH; ++j) {
        int s = order[i + j], f;
        for (f = 0; f < FEATURES; ++f) batch_x[j * FEATURES + f] = x[s * FEATURES + f];
        batch_y[j] = y[s];
      }
      check(
          nnstate_network_train_step(net, batch_x, BATCH * FEATURES, batch_y, BATCH, BATCH, &loss),
          "train_step");
      sum += loss;
    }
    train_loss = (float)(sum / (TRAIN / BATCH));
    check(nnstate_network_evaluate(net, x + TRAIN * FEATURES, (SAMPLES - TRAIN) * FEATURES,
                                   y + TRAIN, SAMPLES - TRAIN, SAMPLES - TRAIN, &test_loss),
          "evaluate");
    if (epoch == 1 || epoch % 25 == 0) {
      printf("Epoch: %d, Train loss: %.6f, test loss: %.6f\n", epoch, train_loss, test_loss);
    }
  }
  nnstate_network_free(net);
  printf("final test MSE %.6f (%s 0.1)\n", test_loss, test_loss < 0.1f ? "<" : ">=");
  return test_loss < 0.1f ? 0 : 1;
}
