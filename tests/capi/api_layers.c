/*
 * The convolutional and stateful layers through the C API: every new function with NULLs and
 * bad values, hand-computed outputs (Conv2d, MaxPool2d, BatchNorm in both modes, Dropout,
 * LayerNorm), a small CNN with PyTorch state_dict names that learns, train/eval mode
 * semantics, and bitwise-identical predictions after a checkpoint round trip.
 */
#define _POSIX_C_SOURCE 200809L

#include "checkpoint_common.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static nnstate_network *new_net(uint64_t seed) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, seed));
  return net;
}

static size_t layer_count(const nnstate_network *net) {
  size_t n = 0;
  CHECK_OK(nnstate_network_layer_count(net, &n));
  return n;
}

static size_t output_size(const nnstate_network *net) {
  size_t n = 0;
  CHECK_OK(nnstate_network_output_size(net, &n));
  return n;
}

static void set_shape3(nnstate_network *net, int64_t c, int64_t h, int64_t w) {
  const int64_t dims[3] = {c, h, w};
  CHECK_OK(nnstate_network_set_input_shape(net, dims, 3));
}

/* Whether the network has a tensor `name` of the given role and shape. */
static int has_tensor(const nnstate_network *net, const char *name, int32_t role, int32_t rank,
                      const int64_t *dims) {
  size_t count = 0, i;
  int d;
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  for (i = 0; i < count; ++i) {
    const char *n = NULL;
    int32_t r = -1, k = -1;
    int64_t got[4] = {0, 0, 0, 0};
    CHECK_OK(nnstate_network_tensor_info(net, i, &n, &r, &k, got));
    if (strcmp(n, name) != 0) continue;
    if (r != role || k != rank) return 0;
    for (d = 0; d < rank; ++d) {
      if (got[d] != dims[d]) return 0;
    }
    return 1;
  }
  return 0;
}

static size_t tensor_count(const nnstate_network *net) {
  size_t n = 0;
  CHECK_OK(nnstate_network_tensor_count(net, &n));
  return n;
}

static double sum_abs_diff(const float *a, const float *b, size_t n) {
  double s = 0.0;
  size_t i;
  for (i = 0; i < n; ++i) s += fabs((double)a[i] - (double)b[i]);
  return s;
}

/* A deterministic pseudo-random value in [-0.5, 0.5). */
static float noise(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)(*state >> 8) / 16777216.0f - 0.5f;
}

/* ---- constants and NULLs ------------------------------------------------------------------ */

static void test_layer_kinds(void) {
  CHECK(NNSTATE_LAYER_CONV2D == 7);
  CHECK(NNSTATE_LAYER_MAX_POOL2D == 8);
  CHECK(NNSTATE_LAYER_FLATTEN == 9);
  CHECK(NNSTATE_LAYER_BATCH_NORM1D == 10);
  CHECK(NNSTATE_LAYER_BATCH_NORM2D == 11);
  CHECK(NNSTATE_LAYER_DROPOUT == 12);
  CHECK(NNSTATE_LAYER_LAYER_NORM == 13);
}

static void test_null_arguments(void) {
  const int64_t dims[3] = {1, 8, 8};
  nnstate_conv2d_options o;
  int32_t mode = 7;
  nnstate_network *net = new_net(1);

  CHECK_ERR(nnstate_network_set_input_shape(NULL, dims, 3), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("network");
  CHECK_ERR(nnstate_network_set_input_shape(net, NULL, 3), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("dims");
  CHECK_ERR(nnstate_conv2d_options_init(NULL, 1, 1, 3), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_conv2d_options_init(&o, 1, 4, 3));
  CHECK_ERR(nnstate_network_add_conv2d(NULL, &o), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_conv2d(net, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("options");
  CHECK_ERR(nnstate_network_add_max_pool2d(NULL, 2, 2, 0, 0, 0, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_flatten(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_batch_norm(NULL, 1, 4, 1e-5, 0.1, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_dropout(NULL, 0.5), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(NULL, dims, 1, 1e-5, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(net, NULL, 1, 1e-5, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("normalized_shape");
  CHECK_ERR(nnstate_network_set_training_mode(NULL, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_get_training_mode(NULL, &mode), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_get_training_mode(net, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(mode == 7);
  CHECK(layer_count(net) == 0);
  nnstate_network_free(net);
}

/* ---- input shape -------------------------------------------------------------------------- */

static void test_set_input_shape(void) {
  const int64_t good[3] = {1, 8, 8}, zero[3] = {1, 0, 8}, negative[2] = {-3, 2};
  const int64_t four[4] = {1, 1, 8, 8}, huge[3] = {INT64_MAX, INT64_MAX, 2};
  size_t n = 0;
  nnstate_network *net = new_net(1);

  CHECK_ERR(nnstate_network_set_input_shape(net, good, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(0);
  CHECK_ERR(nnstate_network_set_input_shape(net, good, -1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_input_shape(net, four, 4), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(4);
  CHECK_ERR(nnstate_network_set_input_shape(net, zero, 3), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_input_shape(net, negative, 2), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(-3);
  CHECK_ERR(nnstate_network_set_input_shape(net, huge, 3), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_input_size(net, &n), NNSTATE_ERR_STATE); /* nothing was set */

  /* Setting it twice before the first layer replaces it. */
  CHECK_OK(nnstate_network_set_input_shape(net, four, 3)); /* {1, 1, 8} */
  CHECK_OK(nnstate_network_input_size(net, &n));
  CHECK(n == 8);
  CHECK_OK(nnstate_network_set_input_shape(net, good, 3));
  CHECK_OK(nnstate_network_input_size(net, &n));
  CHECK(n == 64);
  CHECK_OK(nnstate_network_add_flatten(net));
  CHECK(output_size(net) == 64);
  CHECK_ERR(nnstate_network_set_input_shape(net, good, 3), NNSTATE_ERR_STATE);
  nnstate_network_free(net);

  /* A Linear after a shape that does not fit: both shapes are named. */
  net = new_net(1);
  CHECK_OK(nnstate_network_set_input_shape(net, good, 3));
  CHECK_ERR(nnstate_network_add_linear(net, 64, 3, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[64]");
  CHECK_MSG_CONTAINS("[1, 8, 8]");
  CHECK(layer_count(net) == 0);
  nnstate_network_free(net);

  /* A Linear that matches a rank-1 input shape. */
  net = new_net(1);
  CHECK_OK(nnstate_network_set_input_shape(net, good + 2, 1));
  CHECK_OK(nnstate_network_add_linear(net, 8, 2, 1));
  CHECK(output_size(net) == 2);
  nnstate_network_free(net);
}

/* ---- Conv2d ------------------------------------------------------------------------------- */

static void test_conv2d_options(void) {
  nnstate_conv2d_options o;
  memset(&o, 0xAB, sizeof o);
  CHECK_OK(nnstate_conv2d_options_init(&o, 3, 16, 5));
  CHECK(o.struct_size == sizeof o);
  CHECK(o.in_channels == 3 && o.out_channels == 16);
  CHECK(o.kernel_h == 5 && o.kernel_w == 5);
  CHECK(o.stride_h == 1 && o.stride_w == 1);
  CHECK(o.padding_h == 0 && o.padding_w == 0);
  CHECK(o.dilation_h == 1 && o.dilation_w == 1);
  CHECK(o.groups == 1 && o.bias == 1);
}

/* Expects add_conv2d(4, 8, 3) with `statement` applied to its options o_ to fail with
 * `status`; the last error stays for checks of the message. */
#define CONV_REFUSED(statement, status)                      \
  do {                                                       \
    nnstate_conv2d_options o_;                               \
    CHECK_OK(nnstate_conv2d_options_init(&o_, 4, 8, 3));     \
    statement;                                               \
    CHECK_ERR(nnstate_network_add_conv2d(net, &o_), status); \
  } while (0)

static void test_conv2d_errors(void) {
  nnstate_conv2d_options o;
  nnstate_optimizer_options adam;
  nnstate_network *net = new_net(1);

  /* No input shape yet: a Conv2d cannot know H and W. */
  CHECK_OK(nnstate_conv2d_options_init(&o, 4, 8, 3));
  CHECK_ERR(nnstate_network_add_conv2d(net, &o), NNSTATE_ERR_STATE);
  CHECK_MSG_CONTAINS("input shape");

  set_shape3(net, 4, 8, 8);
  CONV_REFUSED(o_.struct_size = 4, NNSTATE_ERR_VERSION);
  CONV_REFUSED(o_.struct_size = 0, NNSTATE_ERR_VERSION);
  CONV_REFUSED(o_.in_channels = 0, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.out_channels = -1, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.kernel_h = 0, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.stride_w = 0, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.padding_h = -1, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.dilation_w = 0, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.groups = 0, NNSTATE_ERR_INVALID_ARGUMENT);
  CONV_REFUSED(o_.groups = 3, NNSTATE_ERR_INVALID_ARGUMENT); /* divides neither 4 nor 8 */
  CONV_REFUSED(o_.in_channels = 3, NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[4, 8, 8]");
  CHECK_MSG_NUMBER(3);
  CONV_REFUSED(o_.kernel_h = o_.kernel_w = 9, NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[4, 8, 8]");
  CONV_REFUSED((o_.dilation_h = 4, o_.dilation_w = 4), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(layer_count(net) == 0);

  /* Valid: groups 2, stride 2, padding 1, no bias. */
  CHECK_OK(nnstate_conv2d_options_init(&o, 4, 8, 3));
  o.groups = 2;
  o.stride_h = o.stride_w = 2;
  o.padding_h = o.padding_w = 1;
  o.bias = 0;
  CHECK_OK(nnstate_network_add_conv2d(net, &o));
  {
    const int64_t w[4] = {8, 2, 3, 3};
    CHECK(has_tensor(net, "0.weight", NNSTATE_ROLE_PARAMETER, 4, w));
    CHECK(tensor_count(net) == 1);
    CHECK(output_size(net) == 8 * 4 * 4);
  }
  /* After a Linear the samples are vectors: not [C, H, W]. */
  CHECK_OK(nnstate_network_add_flatten(net));
  CHECK_OK(nnstate_network_add_linear(net, 128, 4, 1));
  CHECK_OK(nnstate_conv2d_options_init(&o, 4, 4, 1));
  CHECK_ERR(nnstate_network_add_conv2d(net, &o), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[4]");
  /* Nothing after the optimizer. */
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  CHECK_ERR(nnstate_network_add_dropout(net, 0.5), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_add_flatten(net), NNSTATE_ERR_STATE);
  nnstate_network_free(net);
}

/* A 3x3 all-ones kernel with padding 1 on a 3x3 image of ones gives the neighbourhood sizes. */
static void test_conv2d_by_hand(void) {
  static const float expected[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
  float weight[9], bias = 0.5f, x[9], y[9];
  nnstate_conv2d_options o;
  int i;
  nnstate_network *net = new_net(3);
  set_shape3(net, 1, 3, 3);
  CHECK_OK(nnstate_conv2d_options_init(&o, 1, 1, 3));
  o.padding_h = o.padding_w = 1;
  CHECK_OK(nnstate_network_add_conv2d(net, &o));
  for (i = 0; i < 9; ++i) weight[i] = x[i] = 1.0f;
  CHECK_OK(nnstate_network_set_tensor(net, "0.weight", weight, 9));
  CHECK_OK(nnstate_network_set_tensor(net, "0.bias", &bias, 1));
  CHECK_OK(nnstate_network_predict(net, x, 9, 1, y, 9));
  for (i = 0; i < 9; ++i) CHECK(y[i] == expected[i] + 0.5f);
  nnstate_network_free(net);
}

/* ---- MaxPool2d and Flatten ---------------------------------------------------------------- */

static void test_max_pool2d(void) {
  float x[16], y[6];
  int i;
  nnstate_network *net = new_net(1);

  CHECK_ERR(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 0, 0), NNSTATE_ERR_STATE);
  set_shape3(net, 1, 4, 4);
  CHECK_ERR(nnstate_network_add_max_pool2d(net, 0, 2, 0, 0, 0, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_max_pool2d(net, 2, 2, -1, 0, 0, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 2, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 0, -1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_max_pool2d(net, 5, 5, 0, 0, 0, 0), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[1, 4, 4]");
  CHECK(layer_count(net) == 0);

  /* Stride 0 means the kernel size, per dimension: here (2, 1). */
  CHECK_OK(nnstate_network_add_max_pool2d(net, 2, 2, 0, 1, 0, 0));
  CHECK(output_size(net) == 6);
  CHECK(tensor_count(net) == 0);
  for (i = 0; i < 16; ++i) x[i] = (float)i;
  CHECK_OK(nnstate_network_predict(net, x, 16, 1, y, 6));
  CHECK(y[0] == 5 && y[1] == 6 && y[2] == 7 && y[3] == 13 && y[4] == 14 && y[5] == 15);
  nnstate_network_free(net);

  /* PyTorch's MaxPool2d(2): stride 2 = kernel; Flatten makes [C*H*W] vectors. */
  net = new_net(1);
  set_shape3(net, 1, 4, 4);
  CHECK_OK(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 0, 0));
  CHECK_OK(nnstate_network_add_flatten(net));
  CHECK_OK(nnstate_network_add_linear(net, 4, 1, 0));
  CHECK_ERR(nnstate_network_add_max_pool2d(net, 1, 1, 0, 0, 0, 0), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[1]");
  CHECK(layer_count(net) == 3);
  nnstate_network_free(net);

  /* Flatten needs a known input shape. */
  net = new_net(1);
  CHECK_ERR(nnstate_network_add_flatten(net), NNSTATE_ERR_STATE);
  nnstate_network_free(net);
}

/* ---- BatchNorm ---------------------------------------------------------------------------- */

static void test_batch_norm_errors(void) {
  const int64_t c4[1] = {4}, c2[1] = {2};
  nnstate_network *net = new_net(1);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 0, 4, 1e-5, 0.1, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(0);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 3, 4, 1e-5, 0.1, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(3);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 1, 0, 1e-5, 0.1, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 1, 4, -1.0, 0.1, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 1, 4, NAN, 0.1, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 2, 4, 1e-5, INFINITY, 1, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(layer_count(net) == 0);

  /* BatchNorm1d may come first (seed 001): the Linear after it fixes the input size. */
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 4, 1e-5, 0.1, 1, 1));
  CHECK_ERR(nnstate_network_add_linear(net, 5, 2, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(4);
  CHECK_MSG_NUMBER(5);
  CHECK_OK(nnstate_network_add_linear(net, 4, 2, 1));
  CHECK_ERR(nnstate_network_add_batch_norm(net, 1, 3, 1e-5, 0.1, 1, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[2]");
  CHECK_MSG_NUMBER(3);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 2, 2, 1e-5, 0.1, 1, 1),
            NNSTATE_ERR_SHAPE_MISMATCH); /* BatchNorm2d needs [C, H, W] */
  CHECK(layer_count(net) == 2);
  nnstate_network_free(net);

  /* Without affine there are no parameters; without tracking no buffers. */
  net = new_net(1);
  CHECK_OK(nnstate_network_set_input_shape(net, c4, 1));
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 4, 1e-5, 0.1, 0, 1));
  CHECK(tensor_count(net) == 3);
  CHECK(has_tensor(net, "0.running_mean", NNSTATE_ROLE_BUFFER, 1, c4));
  CHECK(has_tensor(net, "0.running_var", NNSTATE_ROLE_BUFFER, 1, c4));
  CHECK(has_tensor(net, "0.num_batches_tracked", NNSTATE_ROLE_BUFFER, 0, NULL));
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 4, 1e-5, 0.1, 1, 0));
  CHECK(tensor_count(net) == 5);
  CHECK(has_tensor(net, "1.weight", NNSTATE_ROLE_PARAMETER, 1, c4));
  CHECK(has_tensor(net, "1.bias", NNSTATE_ROLE_PARAMETER, 1, c4));
  nnstate_network_free(net);

  /* BatchNorm2d after a channel count that differs. */
  net = new_net(1);
  set_shape3(net, 2, 3, 3);
  CHECK_ERR(nnstate_network_add_batch_norm(net, 2, 4, 1e-5, 0.1, 1, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[2, 3, 3]");
  CHECK_OK(nnstate_network_add_batch_norm(net, 2, 2, 1e-5, 0.1, 1, 1));
  CHECK(has_tensor(net, "0.weight", NNSTATE_ROLE_PARAMETER, 1, c2));
  nnstate_network_free(net);
}

/* BatchNorm1d(2) on the batch {(1, 10), (3, 30)}: eval uses running stats (0, 1); training
 * uses the batch's (biased variance) and updates the running ones with the unbiased variance. */
static void test_batch_norm_modes(void) {
  const int64_t c2[1] = {2};
  const float x[4] = {1, 10, 3, 30};
  const double s = 1.0 / sqrt(1.0 + 1e-5);
  float y[4], mean[2], var[2], tracked = -1.0f;
  int32_t mode = -1;
  nnstate_network *net = new_net(1);
  CHECK_OK(nnstate_network_set_input_shape(net, c2, 1));
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 2, 1e-5, 0.1, 1, 1));

  CHECK_OK(nnstate_network_get_training_mode(net, &mode));
  CHECK(mode == 0);
  CHECK_OK(nnstate_network_predict(net, x, 4, 2, y, 4));
  CHECK_NEAR(y[0], 1 * s, 1e-6);
  CHECK_NEAR(y[3], 30 * s, 1e-5);
  CHECK_OK(nnstate_network_get_tensor(net, "0.running_mean", mean, 2));
  CHECK(mean[0] == 0.0f && mean[1] == 0.0f);

  CHECK_OK(nnstate_network_set_training_mode(net, 5));
  CHECK_OK(nnstate_network_get_training_mode(net, &mode));
  CHECK(mode == 1);
  CHECK_OK(nnstate_network_predict(net, x, 4, 2, y, 4));
  /* channel 0: mean 2, biased var 1; channel 1: mean 20, biased var 100. */
  CHECK_NEAR(y[0], -1.0 / sqrt(1.0 + 1e-5), 1e-6);
  CHECK_NEAR(y[2], 1.0 / sqrt(1.0 + 1e-5), 1e-6);
  CHECK_NEAR(y[1], -10.0 / sqrt(100.0 + 1e-5), 1e-6);
  CHECK_OK(nnstate_network_get_tensor(net, "0.running_mean", mean, 2));
  CHECK_OK(nnstate_network_get_tensor(net, "0.running_var", var, 2));
  CHECK_OK(nnstate_network_get_tensor(net, "0.num_batches_tracked", &tracked, 1));
  CHECK_NEAR(mean[0], 0.2, 1e-6);
  CHECK_NEAR(mean[1], 2.0, 1e-6);
  CHECK_NEAR(var[0], 0.9 + 0.1 * 2.0, 1e-6); /* unbiased variance of {1, 3} is 2 */
  CHECK_NEAR(var[1], 0.9 + 0.1 * 200.0, 1e-5);
  CHECK(tracked == 1.0f);

  /* Training mode needs more than one value per channel. */
  CHECK_ERR(nnstate_network_predict(net, x, 2, 1, y, 2), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_OK(nnstate_network_set_training_mode(net, 0));
  CHECK_OK(nnstate_network_predict(net, x, 2, 1, y, 2));
  CHECK_NEAR(y[0], (1.0 - 0.2) / sqrt(1.1 + 1e-5), 1e-6);
  nnstate_network_free(net);
}

/* ---- Dropout and LayerNorm ---------------------------------------------------------------- */

static void test_dropout(void) {
  const int64_t n[1] = {1000};
  static float x[1000], y[1000], z[1000];
  size_t i, zeros = 0;
  nnstate_network *net = new_net(9);
  CHECK_ERR(nnstate_network_add_dropout(net, -0.1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_dropout(net, 1.0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_dropout(net, NAN), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(layer_count(net) == 0);
  CHECK_OK(nnstate_network_set_input_shape(net, n, 1));
  CHECK_OK(nnstate_network_add_dropout(net, 0.25));
  CHECK(tensor_count(net) == 0);
  for (i = 0; i < 1000; ++i) x[i] = 1.0f + (float)i;

  CHECK_OK(nnstate_network_predict(net, x, 1000, 1, y, 1000));
  CHECK(memcmp(x, y, sizeof x) == 0); /* eval: identity */

  CHECK_OK(nnstate_network_set_training_mode(net, 1));
  CHECK_OK(nnstate_network_predict(net, x, 1000, 1, y, 1000));
  CHECK_OK(nnstate_network_predict(net, x, 1000, 1, z, 1000));
  for (i = 0; i < 1000; ++i) {
    if (y[i] == 0.0f) {
      ++zeros;
    } else {
      CHECK(y[i] == x[i] * (float)(1.0 / 0.75)); /* inverted dropout */
    }
  }
  CHECK(zeros > 180 && zeros < 320);
  CHECK(memcmp(y, z, sizeof y) != 0); /* the stream advances */
  nnstate_network_free(net);

  /* p = 0 is allowed and keeps everything even in training mode. */
  net = new_net(9);
  CHECK_OK(nnstate_network_set_input_shape(net, n, 1));
  CHECK_OK(nnstate_network_add_dropout(net, 0.0));
  CHECK_OK(nnstate_network_set_training_mode(net, 1));
  CHECK_OK(nnstate_network_predict(net, x, 1000, 1, y, 1000));
  CHECK(memcmp(x, y, sizeof x) == 0);
  nnstate_network_free(net);
}

static void test_layer_norm(void) {
  const int64_t shape[2] = {2, 3}, bad[2] = {2, 0}, four[4] = {1, 1, 2, 3}, wrong[1] = {2};
  const float x[12] = {1, 2, 3, 4, 5, 6, -1, 0, 1, 10, 20, 30};
  float y[12];
  int r, i;
  nnstate_network *net = new_net(1);
  CHECK_OK(nnstate_network_set_input_shape(net, shape, 2));
  CHECK_ERR(nnstate_network_add_layer_norm(net, shape, 0, 1e-5, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(net, four, 4, 1e-5, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(net, bad, 2, 1e-5, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(net, shape, 2, -1.0, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(net, shape, 2, INFINITY, 1),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_layer_norm(net, wrong, 1, 1e-5, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("[2, 3]");
  CHECK(layer_count(net) == 0);

  /* Over the whole [2, 3] sample, and then without affine over the last dim. */
  CHECK_OK(nnstate_network_add_layer_norm(net, shape, 2, 1e-5, 1));
  CHECK(has_tensor(net, "0.weight", NNSTATE_ROLE_PARAMETER, 2, shape));
  CHECK(has_tensor(net, "0.bias", NNSTATE_ROLE_PARAMETER, 2, shape));
  CHECK_OK(nnstate_network_add_layer_norm(net, shape + 1, 1, 1e-5, 0));
  CHECK(tensor_count(net) == 2);
  CHECK_OK(nnstate_network_predict(net, x, 12, 2, y, 12));
  /* Each row of 3 ends up with mean 0 and biased variance 1 (up to eps). */
  for (r = 0; r < 4; ++r) {
    double m = 0.0, v = 0.0;
    for (i = 0; i < 3; ++i) m += y[r * 3 + i];
    m /= 3;
    for (i = 0; i < 3; ++i) v += (y[r * 3 + i] - m) * (y[r * 3 + i] - m);
    CHECK_NEAR(m, 0.0, 1e-5);
    CHECK_NEAR(v / 3, 1.0, 3e-3); /* eps matters for the rows of small spread */
  }
  nnstate_network_free(net);
}

/* ---- a small CNN -------------------------------------------------------------------------- */

/* Input {1, 8, 8}: Conv2d(1, 4, 3, padding=1), BatchNorm2d(4), ReLU, MaxPool2d(2), Flatten,
 * Dropout(0.25), Linear(64, 3); cross-entropy, Adam. */
static nnstate_network *make_cnn(uint64_t seed, double lr) {
  nnstate_conv2d_options c;
  nnstate_optimizer_options adam;
  nnstate_network *net = new_net(seed);
  set_shape3(net, 1, 8, 8);
  CHECK_OK(nnstate_conv2d_options_init(&c, 1, 4, 3));
  c.padding_h = c.padding_w = 1;
  CHECK_OK(nnstate_network_add_conv2d(net, &c));
  CHECK_OK(nnstate_network_add_batch_norm(net, 2, 4, 1e-5, 0.1, 1, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 0, 0));
  CHECK_OK(nnstate_network_add_flatten(net));
  CHECK_OK(nnstate_network_add_dropout(net, 0.25));
  CHECK_OK(nnstate_network_add_linear(net, 64, 3, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  adam.lr = lr;
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  return net;
}

/* `count` 8x8 images of three classes (horizontal bar, vertical bar, diagonal) plus noise. */
#define IMAGES 96
static void make_images(float *x, float *labels, size_t count, uint32_t seed) {
  size_t s;
  int r, c;
  uint32_t state = seed;
  for (s = 0; s < count; ++s) {
    const int label = (int)(s % 3), at = 1 + (int)((s / 3) % 6);
    float *img = x + s * 64;
    for (r = 0; r < 8; ++r) {
      for (c = 0; c < 8; ++c) {
        const int on = label == 0 ? r == at : label == 1 ? c == at : r == c;
        img[r * 8 + c] = (on ? 1.0f : 0.0f) + 0.3f * noise(&state);
      }
    }
    labels[s] = (float)label;
  }
}

static void test_cnn_structure(void) {
  static const struct {
    const char *name;
    int32_t role, rank;
    int64_t dims[4];
  } expected[] = {
      {"0.weight", NNSTATE_ROLE_PARAMETER, 4, {4, 1, 3, 3}},
      {"0.bias", NNSTATE_ROLE_PARAMETER, 1, {4}},
      {"1.weight", NNSTATE_ROLE_PARAMETER, 1, {4}},
      {"1.bias", NNSTATE_ROLE_PARAMETER, 1, {4}},
      {"1.running_mean", NNSTATE_ROLE_BUFFER, 1, {4}},
      {"1.running_var", NNSTATE_ROLE_BUFFER, 1, {4}},
      {"1.num_batches_tracked", NNSTATE_ROLE_BUFFER, 0, {0}},
      {"6.weight", NNSTATE_ROLE_PARAMETER, 2, {3, 64}},
      {"6.bias", NNSTATE_ROLE_PARAMETER, 1, {3}},
  };
  const size_t n = sizeof expected / sizeof expected[0];
  size_t i, count = 0;
  uint64_t params = 0;
  float w[36], gamma[4], var[4], tracked = -1.0f;
  nnstate_network *net = make_cnn(7, 0.01);

  CHECK(layer_count(net) == 7);
  CHECK_OK(nnstate_network_input_size(net, &count));
  CHECK(count == 64);
  CHECK(output_size(net) == 3);
  CHECK(tensor_count(net) == n);
  for (i = 0; i < n; ++i) {
    const char *name = NULL;
    int32_t role = -1, rank = -1;
    int64_t dims[4] = {0, 0, 0, 0};
    int d;
    CHECK_OK(nnstate_network_tensor_info(net, i, &name, &role, &rank, dims));
    CHECK(strcmp(name, expected[i].name) == 0);
    CHECK(role == expected[i].role);
    CHECK(rank == expected[i].rank);
    for (d = 0; d < rank; ++d) CHECK(dims[d] == expected[i].dims[d]);
  }
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 36 + 4 + 4 + 4 + 192 + 3);

  /* PyTorch's initialisation: conv weight in U(-1/3, 1/3) (fan_in 9); BatchNorm weight 1,
   * running_var 1, num_batches_tracked 0. */
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", w, 36));
  for (i = 0; i < 36; ++i) CHECK(fabsf(w[i]) <= 1.0f / 3.0f);
  CHECK_OK(nnstate_network_get_tensor(net, "1.weight", gamma, 4));
  CHECK_OK(nnstate_network_get_tensor(net, "1.running_var", var, 4));
  CHECK_OK(nnstate_network_get_tensor(net, "1.num_batches_tracked", &tracked, 1));
  for (i = 0; i < 4; ++i) CHECK(gamma[i] == 1.0f && var[i] == 1.0f);
  CHECK(tracked == 0.0f);
  nnstate_network_free(net);
}

static size_t argmax3(const float *v) {
  return v[1] > v[0] ? (v[2] > v[1] ? 2 : 1) : (v[2] > v[0] ? 2 : 0);
}

static void test_cnn_trains_and_modes(void) {
  static float x[IMAGES * 64], labels[IMAGES], out1[IMAGES * 3], out2[IMAGES * 3];
  float first = 0.0f, last = 0.0f, loss = 0.0f, mean_before[4], mean_after[4], eval_loss = 0.0f;
  float tracked = 0.0f;
  size_t i, correct = 0;
  int epoch, b;
  nnstate_network *net = make_cnn(7, 0.01);
  make_images(x, labels, IMAGES, 12345u);

  for (epoch = 0; epoch < 15; ++epoch) {
    float sum = 0.0f;
    for (b = 0; b < IMAGES / 24; ++b) {
      CHECK_OK(nnstate_network_train_step(net, x + b * 24 * 64, 24 * 64, labels + b * 24, 24, 24,
                                          &loss));
      sum += loss;
    }
    if (epoch == 0) first = sum / (IMAGES / 24);
    last = sum / (IMAGES / 24);
  }
  CHECK(last < 0.3f * first);
  CHECK_OK(nnstate_network_get_tensor(net, "1.num_batches_tracked", &tracked, 1));
  CHECK(tracked == 15.0f * (IMAGES / 24));

  /* Eval mode (the default): deterministic, and it learned the three patterns. */
  CHECK_OK(nnstate_network_get_tensor(net, "1.running_mean", mean_before, 4));
  CHECK_OK(nnstate_network_predict(net, x, IMAGES * 64, IMAGES, out1, IMAGES * 3));
  CHECK_OK(nnstate_network_predict(net, x, IMAGES * 64, IMAGES, out2, IMAGES * 3));
  CHECK(sum_abs_diff(out1, out2, IMAGES * 3) == 0.0);
  CHECK_OK(nnstate_network_evaluate(net, x, IMAGES * 64, labels, IMAGES, IMAGES, &eval_loss));
  CHECK_OK(nnstate_network_get_tensor(net, "1.running_mean", mean_after, 4));
  CHECK(memcmp(mean_before, mean_after, sizeof mean_before) == 0);
  for (i = 0; i < IMAGES; ++i) correct += argmax3(out1 + i * 3) == (size_t)labels[i];
  CHECK(correct >= IMAGES * 9 / 10);
  CHECK(eval_loss < first);

  /* Training mode: dropout makes two predictions differ, and BatchNorm's running stats move. */
  CHECK_OK(nnstate_network_set_training_mode(net, 1));
  CHECK_OK(nnstate_network_predict(net, x, IMAGES * 64, IMAGES, out1, IMAGES * 3));
  CHECK_OK(nnstate_network_predict(net, x, IMAGES * 64, IMAGES, out2, IMAGES * 3));
  CHECK(sum_abs_diff(out1, out2, IMAGES * 3) > 0.0);
  CHECK_OK(nnstate_network_get_tensor(net, "1.running_mean", mean_after, 4));
  CHECK(memcmp(mean_before, mean_after, sizeof mean_before) != 0);
  CHECK_OK(nnstate_network_get_tensor(net, "1.num_batches_tracked", &tracked, 1));
  CHECK(tracked == 15.0f * (IMAGES / 24) + 2.0f);

  /* train_step trains in training mode whatever the inference mode is, and moves the stats. */
  CHECK_OK(nnstate_network_set_training_mode(net, 0));
  CHECK_OK(nnstate_network_get_tensor(net, "1.running_mean", mean_before, 4));
  CHECK_OK(nnstate_network_train_step(net, x, 24 * 64, labels, 24, 24, NULL));
  CHECK_OK(nnstate_network_get_tensor(net, "1.running_mean", mean_after, 4));
  CHECK(memcmp(mean_before, mean_after, sizeof mean_before) != 0);
  nnstate_network_free(net);
}

/* Saves `net`, loads it back, and checks that predictions in eval mode are bitwise identical,
 * then that one more training step gives the same loss and weights (optimizer state, dropout
 * stream and BatchNorm buffers restored). */
static void check_round_trip(nnstate_network *net, const char *dir, const char *file,
                             const float *x, size_t input_count, const float *y,
                             size_t target_count, size_t batch) {
  char path[512];
  static float a[4096], b[4096];
  size_t outputs = output_size(net) * batch, n, i;
  float loss_a = 0.0f, loss_b = 0.0f;
  int32_t mode = -1;
  nnstate_network *loaded = NULL;
  CHECK(outputs <= 4096);
  ckpt_join(path, sizeof path, dir, file);
  CHECK_OK(nnstate_checkpoint_save(net, path, NULL));
  CHECK_OK(nnstate_checkpoint_load(&loaded, path, NULL));
  CHECK(layer_count(loaded) == layer_count(net));
  CHECK_OK(nnstate_network_get_training_mode(loaded, &mode));
  CHECK(mode == 0);

  CHECK_OK(nnstate_network_predict(net, x, input_count, batch, a, outputs));
  CHECK_OK(nnstate_network_predict(loaded, x, input_count, batch, b, outputs));
  CHECK(sum_abs_diff(a, b, outputs) == 0.0);

  CHECK_OK(nnstate_network_train_step(net, x, input_count, y, target_count, batch, &loss_a));
  CHECK_OK(nnstate_network_train_step(loaded, x, input_count, y, target_count, batch, &loss_b));
  CHECK(loss_a == loss_b);
  CHECK_OK(nnstate_network_tensor_count(net, &n));
  for (i = 0; i < n; ++i) {
    const char *name = NULL;
    int32_t rank = 0;
    int64_t dims[4] = {1, 1, 1, 1}, count = 1;
    int d;
    static float ta[65536], tb[65536];
    CHECK_OK(nnstate_network_tensor_info(net, i, &name, NULL, &rank, dims));
    for (d = 0; d < rank; ++d) count *= dims[d];
    CHECK(count <= 65536);
    CHECK_OK(nnstate_network_get_tensor(net, name, ta, (size_t)count));
    CHECK_OK(nnstate_network_get_tensor(loaded, name, tb, (size_t)count));
    CHECK(memcmp(ta, tb, (size_t)count * sizeof(float)) == 0);
  }
  CHECK_OK(nnstate_network_predict(net, x, input_count, batch, a, outputs));
  CHECK_OK(nnstate_network_predict(loaded, x, input_count, batch, b, outputs));
  CHECK(sum_abs_diff(a, b, outputs) == 0.0);
  nnstate_network_free(loaded);
}

static void test_cnn_checkpoint(const char *dir) {
  static float x[IMAGES * 64], labels[IMAGES];
  int step;
  nnstate_network *net = make_cnn(21, 0.01);
  make_images(x, labels, IMAGES, 777u);
  for (step = 0; step < 6; ++step) {
    CHECK_OK(nnstate_network_train_step(net, x + (step % 4) * 24 * 64, 24 * 64,
                                        labels + (step % 4) * 24, 24, 24, NULL));
  }
  check_round_trip(net, dir, "cnn.nnst", x, IMAGES * 64, labels, IMAGES, IMAGES);
  nnstate_network_free(net);
}

/* Seed 001: BatchNorm1d(4), Linear(4, 1000), ReLU, BatchNorm1d(1000), Linear(1000, 1) after a
 * few Adam steps: the loaded network predicts bitwise identically. */
static void test_seed001_checkpoint(const char *dir) {
  static float x[32 * 4], y[32];
  nnstate_optimizer_options adam;
  uint32_t state = 99u;
  int i, step;
  nnstate_network *net = new_net(1);
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 4, 1e-5, 0.1, 1, 1));
  CHECK_OK(nnstate_network_add_linear(net, 4, 1000, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_batch_norm(net, 1, 1000, 1e-5, 0.1, 1, 1));
  CHECK_OK(nnstate_network_add_linear(net, 1000, 1, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  CHECK(tensor_count(net) == 14);
  for (i = 0; i < 32; ++i) {
    x[i * 4 + 0] = 10.0f * noise(&state);
    x[i * 4 + 1] = 100.0f + noise(&state);
    x[i * 4 + 2] = noise(&state);
    x[i * 4 + 3] = 0.01f * noise(&state);
    y[i] = x[i * 4 + 0] - 3.0f * x[i * 4 + 2];
  }
  for (step = 0; step < 5; ++step) {
    CHECK_OK(nnstate_network_train_step(net, x, 32 * 4, y, 32, 32, NULL));
  }
  check_round_trip(net, dir, "seed001.nnst", x, 32 * 4, y, 32, 32);
  nnstate_network_free(net);
}

int main(void) {
  char dir[256];
  test_layer_kinds();
  test_null_arguments();
  test_set_input_shape();
  test_conv2d_options();
  test_conv2d_errors();
  test_conv2d_by_hand();
  test_max_pool2d();
  test_batch_norm_errors();
  test_batch_norm_modes();
  test_dropout();
  test_layer_norm();
  test_cnn_structure();
  test_cnn_trains_and_modes();
  ckpt_mkdtemp(dir, sizeof dir);
  test_cnn_checkpoint(dir);
  test_seed001_checkpoint(dir);
  ckpt_rmdir(dir);
  printf("api_layers: all checks passed\n");
  return 0;
}
