/*
 * Sizes from the caller: layer sizes whose byte counts overflow are refused with
 * INVALID_ARGUMENT naming them, layers larger than the machine's memory with OUT_OF_MEMORY
 * before anything is allocated (no minutes of page faults), and the messages of train_step,
 * evaluate and predict stay true (no signed overflow) for absurd batch sizes.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <unistd.h>

#include "check.h"

static int64_t physical_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  CHECK(pages > 0 && page > 0);
  return (int64_t)pages * (int64_t)page;
}

static nnstate_network *new_network(void) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, 1));
  return net;
}

/* Before the fix count * sizeof(float) wrapped: a 0-byte block was filled with 2^62 floats. */
static void test_linear_byte_count_overflow(void) {
  nnstate_network *net = new_network();
  CHECK_ERR(nnstate_network_add_linear(net, (int64_t)1 << 62, 1, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER((int64_t)1 << 62);
  CHECK_ERR(nnstate_network_add_linear(net, 1, (int64_t)1 << 62, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER((int64_t)1 << 62);
  CHECK_ERR(nnstate_network_add_linear(net, (int64_t)1 << 31, (int64_t)1 << 31, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER((int64_t)1 << 31);
  CHECK_ERR(nnstate_network_add_linear(net, INT64_MAX, INT64_MAX, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  /* The network is still usable. */
  CHECK_OK(nnstate_network_add_linear(net, 3, 2, 1));
  nnstate_network_free(net);
}

/* A layer whose weight alone is larger than the machine, and one whose weight fits but whose
 * weight plus gradient does not: both refused at once, nothing allocated. */
static void test_linear_larger_than_memory(void) {
  const int64_t memory = physical_memory(), in = (int64_t)1 << 20;
  const int64_t whole = memory / (4 * in) + 1;          /* weight > memory */
  const int64_t most = (memory / 5) * 3 / (4 * in) + 1; /* weight ~0.6 x memory */
  size_t count = 99;
  nnstate_network *net = new_network();
  CHECK_ERR(nnstate_network_add_linear(net, in, whole, 1), NNSTATE_ERR_OUT_OF_MEMORY);
  CHECK_MSG_CONTAINS("Linear(");
  CHECK_MSG_CONTAINS("memory");
  CHECK_ERR(nnstate_network_add_linear(net, in, most, 0), NNSTATE_ERR_OUT_OF_MEMORY);
  CHECK_MSG_NUMBER(most);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 0);
  nnstate_network_free(net);
}

static void test_conv2d_sizes(void) {
  const int64_t memory = physical_memory();
  nnstate_conv2d_options o;
  nnstate_network *net = new_network();
  /* [2^31-1, 1, 2^31-1, 1] has about 2^62 elements: 2^64 bytes do not fit. */
  CHECK_OK(nnstate_conv2d_options_init(&o, 1, INT32_MAX, 1));
  o.kernel_h = INT32_MAX;
  o.kernel_w = 1;
  CHECK_ERR(nnstate_network_add_conv2d(net, &o), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(INT32_MAX);
  /* out_channels x 1024 x 1 x 1 weights of about 0.6 x memory (plus gradients). */
  CHECK_OK(nnstate_conv2d_options_init(&o, 1024, (memory / 5) * 3 / (4 * 1024) + 1, 1));
  CHECK_ERR(nnstate_network_add_conv2d(net, &o), NNSTATE_ERR_OUT_OF_MEMORY);
  CHECK_MSG_CONTAINS("Conv2d(");
  nnstate_network_free(net);
}

/* Linear(8, 3), MSE, SGD. */
static nnstate_network *small_network(void) {
  nnstate_optimizer_options o;
  nnstate_network *net = new_network();
  CHECK_OK(nnstate_network_add_linear(net, 8, 3, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  CHECK_OK(nnstate_network_set_optimizer(net, &o));
  return net;
}

/* batch * 8 overflows int64 for this batch: the message used to claim "= 320 floats, got 320"
 * (signed overflow, reported by UBSan). */
static void test_batch_messages(void) {
  const size_t huge = ((size_t)1 << 62) + 40;
  float x[320] = {0}, y[120] = {0}, out[120];
  float loss = 0.0f;
  nnstate_network *net = small_network();
  CHECK_ERR(nnstate_network_train_step(net, x, 320, y, 120, huge, &loss),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("4611686018427387944 samples");
  CHECK_MSG_CONTAINS("more than 9223372036854775807 floats, got 320");
  CHECK_ERR(nnstate_network_evaluate(net, x, 320, y, 120, huge, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("more than 9223372036854775807 floats, got 320");
  CHECK_ERR(nnstate_network_predict(net, x, 320, huge, out, 120), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("more than 9223372036854775807 floats, got 320");
  /* A batch whose product fits still gets the exact count. */
  CHECK_ERR(nnstate_network_predict(net, x, 30, 4, out, 12), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("= 32 floats, got 30");
  /* Sizes beyond int64 are refused by name and value. */
  CHECK_ERR(nnstate_network_predict(net, x, SIZE_MAX, 4, out, 12), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("input_count 18446744073709551615");
  nnstate_network_free(net);
}

int main(void) {
  test_linear_byte_count_overflow();
  test_linear_larger_than_memory();
  test_conv2d_sizes();
  test_batch_messages();
  printf("api_sizes: all checks passed\n");
  return 0;
}
