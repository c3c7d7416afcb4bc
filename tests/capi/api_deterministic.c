/*
 * The deterministic-across-scale mode through the C API: training steps of an MLP with
 * BatchNorm1d and Dropout in chunks of 5 on 1 and on 2 threads give the same bits, the settings
 * read back, and bad settings are refused with a message. A collective of one rank (callbacks
 * that count their calls) gives the same bits again, is released with the network, and a
 * failing callback fails the step with IO.
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

static int gathers = 0, broadcasts = 0, releases = 0, fail_gather = 0;
static int32_t count_gather(void *buffer, const int64_t *bytes, const int64_t *offset, void *u) {
  (void)buffer;
  (void)u;
  CHECK(bytes[0] >= 0 && offset[0] == 0);
  ++gathers;
  return fail_gather ? 7 : 0;
}
static int32_t count_broadcast(void *buffer, int64_t bytes, int64_t root, void *u) {
  (void)buffer;
  (void)u;
  CHECK(bytes > 0 && root == 0);
  ++broadcasts;
  return 0;
}
static void count_release(void *u) {
  CHECK(u == &releases);
  ++releases;
}

static void train_with(int32_t threads, int with_collective, float *weights, float *loss) {
  float x[BATCH * IN], y[BATCH];
  int i, step;
  int64_t chunk = 0;
  int32_t got_threads = 0;
  nnstate_network *net = make_net();
  for (i = 0; i < BATCH * IN; ++i) x[i] = (float)sin(0.3 * i);
  for (i = 0; i < BATCH; ++i) y[i] = (float)cos(0.7 * i);
  CHECK_OK(nnstate_network_set_deterministic(net, 5, threads));
  if (with_collective) {
    nnstate_collective c;
    CHECK_OK(nnstate_collective_init(&c));
    c.allgather = count_gather;
    c.broadcast = count_broadcast;
    c.release = count_release;
    c.user_data = &releases;
    CHECK_OK(nnstate_network_set_collective(net, &c));
  }
  CHECK_OK(nnstate_network_deterministic(net, &chunk, &got_threads));
  CHECK(chunk == 5 && got_threads == threads);
  for (step = 0; step < 6; ++step) {
    CHECK_OK(nnstate_network_train_step(net, x, BATCH * IN, y, BATCH, BATCH, loss));
  }
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", weights, 16 * IN));
  nnstate_network_free(net);
}

static void train(int32_t threads, float *weights, float *loss) {
  train_with(threads, 0, weights, loss);
}

static void test_collective(const float *reference, float reference_loss) {
  float w[16 * IN], loss = 0.0f, x[BATCH * IN] = {0}, y[BATCH] = {0};
  nnstate_collective c;
  nnstate_network *net = make_net();
  train_with(2, 1, w, &loss);
  CHECK(memcmp(w, reference, sizeof w) == 0);
  CHECK(memcmp(&loss, &reference_loss, sizeof loss) == 0);
  CHECK(gathers > 0 && broadcasts > 0);
  CHECK(releases == 1); /* with the network */

  CHECK_ERR(nnstate_collective_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_collective_init(&c));
  CHECK(c.size == 1 && c.rank == 0);
  c.allgather = count_gather;
  CHECK_ERR(nnstate_network_set_collective(net, &c), NNSTATE_ERR_INVALID_ARGUMENT); /* no bcast */
  CHECK_MSG_CONTAINS("broadcast");
  c.broadcast = count_broadcast;
  c.rank = 1;
  CHECK_ERR(nnstate_network_set_collective(net, &c), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("rank 1 of size 1");
  c.rank = 0;
  c.struct_size = 4;
  CHECK_ERR(nnstate_network_set_collective(net, &c), NNSTATE_ERR_VERSION);
  c.struct_size = sizeof c;
  CHECK_ERR(nnstate_network_set_collective(NULL, &c), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(releases == 1); /* refused: the caller keeps user_data */
  CHECK_OK(nnstate_network_set_deterministic(net, 5, 1));
  CHECK_OK(nnstate_network_set_collective(net, &c));
  fail_gather = 1;
  CHECK_ERR(nnstate_network_train_step(net, x, BATCH * IN, y, BATCH, BATCH, &loss), NNSTATE_ERR_IO);
  CHECK_MSG_CONTAINS("allgather failed on rank 0 (it returned 7)");
  fail_gather = 0;
  CHECK_OK(nnstate_network_set_collective(net, NULL));
  CHECK_OK(nnstate_network_train_step(net, x, BATCH * IN, y, BATCH, BATCH, &loss));
  nnstate_network_free(net);
  CHECK(nnstate_report_error(NNSTATE_ERR_STATE, "from a companion") == NNSTATE_ERR_STATE);
  CHECK(strcmp(nnstate_last_error(), "from a companion") == 0);
}

int main(void) {
  float w1[16 * IN], w2[16 * IN], loss1 = 0.0f, loss2 = 0.0f;
  nnstate_network *net = make_net();
  int64_t chunk = -1;
  train(1, w1, &loss1);
  train(2, w2, &loss2);
  CHECK(memcmp(w1, w2, sizeof w1) == 0);
  CHECK(memcmp(&loss1, &loss2, sizeof loss1) == 0);
  test_collective(w1, loss1);

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
