/*
 * The deterministic-across-scale mode through the C API: training steps of an MLP with
 * BatchNorm1d and Dropout in chunks of 5 on 1 and on 2 threads give the same bits, the settings
 * read back, and bad settings are refused with a message.
 */
#include "nnstate/nnstate.h"

#include "check.h"

#define IN 6
#define BATCH 23

static nnstate_network *make_net(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  CHECK_OK(nnstate_network_create(&net, 31));
  CHECK_OK(nnstate_network_add_linear(net, IN, 16, 1));
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 16, 1e-5, 0.1, 1, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_dropout(net, 0.25));
  CHECK_OK(nnstate_network_add_linear(net, 16, 1, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  return net;
}

static void train(int32_t threads, float *weights, float *loss) {
  float x[BATCH * IN], y[BATCH];
  int i, step;
  int64_t chunk = 0;
  int32_t got_threads = 0;
  nnstate_network *net = make_net();
  for (i = 0; i < BATCH * IN; ++i) x[i] = (float)sin(0.3 * i);
  for (i = 0; i < BATCH; ++i) y[i] = (float)cos(0.7 * i);
  CHECK_OK(nnstate_network_set_deterministic(net, 5, threads));
  CHECK_OK(nnstate_network_deterministic(net, &chunk, &got_threads));
  CHECK(chunk == 5 && got_threads == threads);
  for (step = 0; step < 6; ++step) {
    CHECK_OK(nnstate_network_train_step(net, x, BATCH * IN, y, BATCH, BATCH, loss));
  }
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", weights, 16 * IN));
  nnstate_network_free(net);
}

int main(void) {
  float w1[16 * IN], w2[16 * IN], loss1 = 0.0f, loss2 = 0.0f;
  nnstate_network *net = make_net();
  int64_t chunk = -1;
  train(1, w1, &loss1);
  train(2, w2, &loss2);
  CHECK(memcmp(w1, w2, sizeof w1) == 0);
  CHECK(memcmp(&loss1, &loss2, sizeof loss1) == 0);

  CHECK_ERR(nnstate_network_set_deterministic(NULL, 4, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_deterministic(net, -3, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("chunk_size -3");
  CHECK_ERR(nnstate_network_set_deterministic(net, 4, 2000), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("threads 2000");
  CHECK_ERR(nnstate_network_deterministic(NULL, &chunk, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_network_deterministic(net, &chunk, NULL));
  CHECK(chunk == 0); /* off by default */
  nnstate_network_free(net);
  printf("api_deterministic: ok\n");
  return 0;
}
