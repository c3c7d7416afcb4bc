/*
 * Building networks through the C API: layer counts, input/output sizes, parameter counts,
 * state_dict names and shapes, tensor get/set, initialisation and seeds, predictions of
 * networks with hand-set weights, and the errors of building (shapes, kinds, state).
 */
#include "nnstate/nnstate.h"

#include <float.h>

#include "check.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static nnstate_network *make_mlp(uint64_t seed) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, seed));
  CHECK_OK(nnstate_network_add_linear(net, 3, 5, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 5, 2, 1));
  return net;
}

/* Reads the four tensors of make_mlp into one array of 15 + 5 + 10 + 2 floats. */
#define MLP_VALUES 32
static void read_mlp(const nnstate_network *net, float *all) {
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", all, 15));
  CHECK_OK(nnstate_network_get_tensor(net, "0.bias", all + 15, 5));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", all + 20, 10));
  CHECK_OK(nnstate_network_get_tensor(net, "2.bias", all + 30, 2));
}

/* y[b, o] = sum_i x[b, i] w[o, i] + bias[o] in double. */
static void linear_by_hand(const float *x, size_t batch, size_t in, const float *w,
                           const float *bias, size_t out, double *y) {
  size_t b, o, i;
  for (b = 0; b < batch; ++b) {
    for (o = 0; o < out; ++o) {
      double sum = bias ? bias[o] : 0.0;
      for (i = 0; i < in; ++i) sum += (double)x[b * in + i] * w[o * in + i];
      y[b * out + o] = sum;
    }
  }
}

/* ---- structure ---------------------------------------------------------------------------- */

static void test_empty_network(void) {
  nnstate_network *net = NULL;
  size_t count = 99;
  uint64_t params = 99;
  float in[1] = {0.0f}, out[1];
  CHECK_OK(nnstate_network_create(&net, 1));
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 0);
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 0);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 0);
  CHECK_ERR(nnstate_network_input_size(net, &count), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_output_size(net, &count), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_predict(net, in, 1, 1, out, 1), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_tensor_info(net, 0, NULL, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_get_tensor(net, "0.weight", out, 1), NNSTATE_ERR_NOT_FOUND);
  nnstate_network_free(net);
}

static void test_mlp_structure(void) {
  static const char *const names[4] = {"0.weight", "0.bias", "2.weight", "2.bias"};
  static const int32_t ranks[4] = {2, 1, 2, 1};
  static const int64_t shapes[4][2] = {{5, 3}, {5, 0}, {2, 5}, {2, 0}};
  nnstate_network *net = make_mlp(11);
  size_t count = 0, i;
  uint64_t params = 0;
  const char *first_name = NULL;

  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 3);
  CHECK_OK(nnstate_network_input_size(net, &count));
  CHECK(count == 3);
  CHECK_OK(nnstate_network_output_size(net, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 3 * 5 + 5 + 5 * 2 + 2);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 4);

  for (i = 0; i < 4; ++i) {
    const char *name = NULL;
    int32_t role = -1, rank = -1;
    int64_t dims[4] = {-1, -1, -1, -1};
    CHECK_OK(nnstate_network_tensor_info(net, i, &name, &role, &rank, dims));
    CHECK(name != NULL);
    if (strcmp(name, names[i]) != 0) {
      fprintf(stderr, "tensor %u is named \"%s\", expected \"%s\"\n", (unsigned)i, name, names[i]);
      exit(1);
    }
    CHECK(role == NNSTATE_ROLE_PARAMETER);
    CHECK(rank == ranks[i]);
    CHECK(dims[0] == shapes[i][0]);
    if (rank == 2) CHECK(dims[1] == shapes[i][1]);
    if (i == 0) first_name = name;
    /* Each output is optional on its own. */
    rank = -1;
    CHECK_OK(nnstate_network_tensor_info(net, i, NULL, NULL, &rank, NULL));
    CHECK(rank == ranks[i]);
    role = -1;
    CHECK_OK(nnstate_network_tensor_info(net, i, NULL, &role, NULL, NULL));
    CHECK(role == NNSTATE_ROLE_PARAMETER);
  }
  /* The name stays valid while no layer is added (valgrind would catch a dangling pointer). */
  CHECK(strcmp(first_name, "0.weight") == 0);

  /* Index out of range: the message gives the index and the count. */
  CHECK_ERR(nnstate_network_tensor_info(net, 4, NULL, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(4);
  CHECK_ERR(nnstate_network_tensor_info(net, (size_t)-1, NULL, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);

  /* Adding a layer refreshes the names. */
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_OK(nnstate_network_add_linear(net, 2, 4, 1));
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 6);
  {
    const char *name = NULL;
    int32_t rank = 0;
    int64_t dims[4] = {0, 0, 0, 0};
    CHECK_OK(nnstate_network_tensor_info(net, 4, &name, NULL, &rank, dims));
    CHECK(strcmp(name, "4.weight") == 0);
    CHECK(rank == 2 && dims[0] == 4 && dims[1] == 2);
    CHECK_OK(nnstate_network_tensor_info(net, 0, &name, NULL, NULL, NULL));
    CHECK(strcmp(name, "0.weight") == 0);
  }
  CHECK_OK(nnstate_network_output_size(net, &count));
  CHECK(count == 4);
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 5);
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 3 * 5 + 5 + 5 * 2 + 2 + 2 * 4 + 4);
  nnstate_network_free(net);
}

static void test_no_bias_and_leading_activation(void) {
  nnstate_network *net = NULL;
  size_t count = 0;
  uint64_t params = 0;
  const char *name = NULL;
  int32_t rank = 0;
  int64_t dims[4];
  float bias[5];

  /* bias = 0: only a weight. */
  CHECK_OK(nnstate_network_create(&net, 5));
  CHECK_OK(nnstate_network_add_linear(net, 3, 5, 0));
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 15);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 1);
  CHECK_ERR(nnstate_network_get_tensor(net, "0.bias", bias, 5), NNSTATE_ERR_NOT_FOUND);
  /* Any non-zero bias flag means true. */
  CHECK_OK(nnstate_network_add_linear(net, 5, 2, 7));
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 15 + 10 + 2);
  nnstate_network_free(net);

  /* An activation first: the following Linear fixes the input size, names follow indices. */
  CHECK_OK(nnstate_network_create(&net, 5));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_SIGMOID));
  CHECK_ERR(nnstate_network_input_size(net, &count), NNSTATE_ERR_STATE);
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 1);
  CHECK_OK(nnstate_network_add_linear(net, 3, 4, 1));
  CHECK_OK(nnstate_network_input_size(net, &count));
  CHECK(count == 3);
  CHECK_OK(nnstate_network_output_size(net, &count));
  CHECK(count == 4);
  CHECK_OK(nnstate_network_tensor_info(net, 0, &name, NULL, &rank, dims));
  CHECK(strcmp(name, "1.weight") == 0);
  CHECK(rank == 2 && dims[0] == 4 && dims[1] == 3);
  CHECK_OK(nnstate_network_tensor_info(net, 1, &name, NULL, &rank, dims));
  CHECK(strcmp(name, "1.bias") == 0);
  CHECK(rank == 1 && dims[0] == 4);
  /* Activations keep the size; they add no tensors. */
  CHECK_OK(nnstate_network_add_leaky_relu(net, 0.2f));
  CHECK_OK(nnstate_network_add_gelu(net, 0));
  CHECK_OK(nnstate_network_add_gelu(net, 1));
  CHECK_OK(nnstate_network_output_size(net, &count));
  CHECK(count == 4);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 5);
  nnstate_network_free(net);
}

/* ---- tensors ------------------------------------------------------------------------------ */

static void test_tensor_round_trip(void) {
  nnstate_network *net = make_mlp(3);
  float before[MLP_VALUES], after[MLP_VALUES], weight[15], back[15];
  size_t i;
  read_mlp(net, before);
  for (i = 0; i < 15; ++i) weight[i] = (float)i * 0.37f - 2.0f;
  /* Exact bit patterns survive: negative zero, subnormals, extremes, NaN. */
  weight[0] = -0.0f;
  weight[1] = 1e-40f;
  weight[2] = FLT_MAX;
  weight[3] = -FLT_MIN;
  weight[4] = NAN;
  weight[5] = 1.0f / 3.0f;
  CHECK_OK(nnstate_network_set_tensor(net, "0.weight", weight, 15));
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", back, 15));
  CHECK(memcmp(weight, back, sizeof weight) == 0);
  /* Only that tensor changed. */
  read_mlp(net, after);
  CHECK(memcmp(before + 15, after + 15, sizeof(float) * (MLP_VALUES - 15)) == 0);
  {
    float bias[2] = {0.5f, -0.25f}, bias_back[2] = {0.0f, 0.0f};
    CHECK_OK(nnstate_network_set_tensor(net, "2.bias", bias, 2));
    CHECK_OK(nnstate_network_get_tensor(net, "2.bias", bias_back, 2));
    CHECK(bias_back[0] == 0.5f && bias_back[1] == -0.25f);
  }
  nnstate_network_free(net);
}

static void test_tensor_errors(void) {
  nnstate_network *net = make_mlp(3);
  float before[MLP_VALUES], after[MLP_VALUES], buffer[16];
  memset(buffer, 0, sizeof buffer);
  read_mlp(net, before);

  /* Counts off by one either way: SHAPE_MISMATCH naming both sizes, nothing written. */
  CHECK_ERR(nnstate_network_get_tensor(net, "0.weight", buffer, 16), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(15);
  CHECK_MSG_NUMBER(16);
  CHECK_ERR(nnstate_network_get_tensor(net, "0.weight", buffer, 14), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(15);
  CHECK_MSG_NUMBER(14);
  CHECK_ERR(nnstate_network_get_tensor(net, "0.bias", buffer, 0), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(5);
  CHECK_MSG_NUMBER(0);
  CHECK_ERR(nnstate_network_set_tensor(net, "2.weight", buffer, 11), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(10);
  CHECK_MSG_NUMBER(11);
  CHECK_ERR(nnstate_network_set_tensor(net, "2.weight", buffer, 9), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(10);
  CHECK_MSG_NUMBER(9);
  CHECK_ERR(nnstate_network_set_tensor(net, "2.bias", buffer, 3), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(2);
  CHECK_MSG_NUMBER(3);

  /* Unknown names: NOT_FOUND naming the name. */
  CHECK_ERR(nnstate_network_get_tensor(net, "0.weights", buffer, 15), NNSTATE_ERR_NOT_FOUND);
  CHECK_MSG_CONTAINS("0.weights");
  CHECK_ERR(nnstate_network_get_tensor(net, "1.weight", buffer, 15), NNSTATE_ERR_NOT_FOUND);
  CHECK_MSG_CONTAINS("1.weight");
  CHECK_ERR(nnstate_network_set_tensor(net, "", buffer, 15), NNSTATE_ERR_NOT_FOUND);
  CHECK_ERR(nnstate_network_set_tensor(net, "weight", buffer, 15), NNSTATE_ERR_NOT_FOUND);
  CHECK_MSG_CONTAINS("weight");

  read_mlp(net, after);
  CHECK(memcmp(before, after, sizeof before) == 0);
  nnstate_network_free(net);
}

/* ---- initialisation and seeds ------------------------------------------------------------- */

static void test_seeds(void) {
  float a[MLP_VALUES], b[MLP_VALUES], c[MLP_VALUES];
  nnstate_network *net_a = make_mlp(1234), *net_b = make_mlp(1234), *net_c = make_mlp(1235);
  nnstate_network *net_0 = make_mlp(0), *net_max = make_mlp(UINT64_MAX);
  size_t i, same = 0;
  read_mlp(net_a, a);
  read_mlp(net_b, b);
  read_mlp(net_c, c);
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK(memcmp(a, c, sizeof a) != 0);
  for (i = 0; i < MLP_VALUES; ++i) same += a[i] == c[i];
  CHECK(same < 3); /* a different seed gives different values, not a shifted stream */
  read_mlp(net_0, b);
  read_mlp(net_max, c);
  CHECK(memcmp(b, c, sizeof b) != 0);
  CHECK(memcmp(a, b, sizeof a) != 0);
  nnstate_network_free(net_a);
  nnstate_network_free(net_b);
  nnstate_network_free(net_c);
  nnstate_network_free(net_0);
  nnstate_network_free(net_max);
}

static void check_uniform(const float *v, size_t n, double bound, int check_spread) {
  size_t i;
  double low = v[0], high = v[0], sum = 0.0;
  for (i = 0; i < n; ++i) {
    if (!(fabs(v[i]) <= bound)) {
      fprintf(stderr, "initial value %.9g is outside +-%.9g\n", v[i], bound);
      exit(1);
    }
    if (v[i] < low) low = v[i];
    if (v[i] > high) high = v[i];
    sum += v[i];
  }
  CHECK(high > low); /* not constant */
  if (check_spread) {
    /* Many values: they cover the range and are centred. */
    CHECK(low < -0.9 * bound && high > 0.9 * bound);
    CHECK(fabs(sum / (double)n) < 0.1 * bound);
  }
}

static void test_default_init(void) {
  nnstate_network *net = make_mlp(42), *big = NULL;
  float all[MLP_VALUES];
  static float weight[100 * 50], bias[50];
  read_mlp(net, all);
  check_uniform(all, 15, 1.0 / sqrt(3.0), 0);
  check_uniform(all + 15, 5, 1.0 / sqrt(3.0), 0);
  check_uniform(all + 20, 10, 1.0 / sqrt(5.0), 0);
  check_uniform(all + 30, 2, 1.0 / sqrt(5.0), 0);
  nnstate_network_free(net);

  CHECK_OK(nnstate_network_create(&big, 9));
  CHECK_OK(nnstate_network_add_linear(big, 100, 50, 1));
  CHECK_OK(nnstate_network_get_tensor(big, "0.weight", weight, 100 * 50));
  CHECK_OK(nnstate_network_get_tensor(big, "0.bias", bias, 50));
  check_uniform(weight, 100 * 50, 0.1, 1);
  check_uniform(bias, 50, 0.1, 0);
  nnstate_network_free(big);
}

/* ---- predictions with hand-set weights ---------------------------------------------------- */

/* Linear(3, 2) with these weights, on these four samples; pre-activations span both signs. */
static const float hand_w[6] = {0.5f, -1.0f, 0.25f, 1.0f, 2.0f, -0.5f};
static const float hand_b[2] = {0.125f, -2.0f};
static const float hand_x[12] = {1.0f,  2.0f, 4.0f, 2.0f,  -1.0f, 0.0f,
                                 -2.0f, 0.5f, 1.0f, 0.25f, 0.75f, -3.0f};

static nnstate_network *make_hand_network(void) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, 77));
  CHECK_OK(nnstate_network_add_linear(net, 3, 2, 1));
  CHECK_OK(nnstate_network_set_tensor(net, "0.weight", hand_w, 6));
  CHECK_OK(nnstate_network_set_tensor(net, "0.bias", hand_b, 2));
  return net;
}

enum { ACT_NONE, ACT_RELU, ACT_LEAKY, ACT_TANH, ACT_SIGMOID, ACT_GELU, ACT_GELU_TANH };

static double activation_by_hand(int kind, double x) {
  switch (kind) {
    case ACT_RELU:
      return x > 0.0 ? x : 0.0;
    case ACT_LEAKY:
      return x > 0.0 ? x : 0.1 * x;
    case ACT_TANH:
      return tanh(x);
    case ACT_SIGMOID:
      return 1.0 / (1.0 + exp(-x));
    case ACT_GELU:
      return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case ACT_GELU_TANH: {
      const double k = sqrt(2.0 / 3.14159265358979323846);
      return 0.5 * x * (1.0 + tanh(k * (x + 0.044715 * x * x * x)));
    }
    default:
      return x;
  }
}

static void test_predict_by_hand(void) {
  static const int kinds[] = {ACT_NONE,    ACT_RELU, ACT_LEAKY,    ACT_TANH,
                              ACT_SIGMOID, ACT_GELU, ACT_GELU_TANH};
  double pre[8];
  size_t k, i;
  linear_by_hand(hand_x, 4, 3, hand_w, hand_b, 2, pre);
  /* The first samples worked out on paper. */
  CHECK(pre[0] == -0.375 && pre[1] == 1.0 && pre[2] == 2.125 && pre[3] == -2.0);

  for (k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
    nnstate_network *net = make_hand_network();
    float out[8];
    switch (kinds[k]) {
      case ACT_RELU:
        CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
        break;
      case ACT_LEAKY:
        CHECK_OK(nnstate_network_add_leaky_relu(net, 0.1f));
        break;
      case ACT_TANH:
        CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
        break;
      case ACT_SIGMOID:
        CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_SIGMOID));
        break;
      case ACT_GELU:
        CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_GELU));
        break;
      case ACT_GELU_TANH:
        CHECK_OK(nnstate_network_add_gelu(net, 1));
        break;
      default:
        break;
    }
    /* Whole batch, then each sample alone: the same numbers. */
    CHECK_OK(nnstate_network_predict(net, hand_x, 12, 4, out, 8));
    for (i = 0; i < 8; ++i) {
      double expected = activation_by_hand(kinds[k], pre[i]);
      if (fabs(out[i] - expected) > 1e-6 * (1.0 + fabs(expected))) {
        fprintf(stderr, "activation case %d, output %u: got %.9g, expected %.9g\n", kinds[k],
                (unsigned)i, out[i], expected);
        exit(1);
      }
    }
    for (i = 0; i < 4; ++i) {
      float single[2];
      CHECK_OK(nnstate_network_predict(net, hand_x + 3 * i, 3, 1, single, 2));
      CHECK_NEAR(single[0], out[2 * i], 1e-6);
      CHECK_NEAR(single[1], out[2 * i + 1], 1e-6);
    }
    nnstate_network_free(net);
  }

  /* ReLU literally: [-0.375, 1] -> [0, 1]; [2.125, -2] -> [2.125, 0]. */
  {
    nnstate_network *net = make_hand_network();
    float out[4];
    CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
    CHECK_OK(nnstate_network_predict(net, hand_x, 6, 2, out, 4));
    CHECK(out[0] == 0.0f && out[1] == 1.0f && out[2] == 2.125f && out[3] == 0.0f);
    nnstate_network_free(net);
  }

  /* The exact and tanh-approximated GELU are different layers. */
  {
    nnstate_network *exact = make_hand_network(), *approx = make_hand_network();
    float x[3] = {-2.0f, 1.0f, 0.0f}, a[2], b[2];
    CHECK_OK(nnstate_network_add_gelu(exact, 0));
    CHECK_OK(nnstate_network_add_gelu(approx, 1));
    CHECK_OK(nnstate_network_predict(exact, x, 3, 1, a, 2));
    CHECK_OK(nnstate_network_predict(approx, x, 3, 1, b, 2));
    CHECK(fabs(a[0] - b[0]) > 1e-5 || fabs(a[1] - b[1]) > 1e-5);
    nnstate_network_free(exact);
    nnstate_network_free(approx);
  }
}

/* The randomly initialised 3-5-2 MLP predicts what its own weights say. */
static void test_predict_mlp_by_hand(void) {
  nnstate_network *net = make_mlp(99);
  float all[MLP_VALUES], hidden[10], out[4];
  double h[10], y[4];
  size_t i;
  read_mlp(net, all);
  linear_by_hand(hand_x, 2, 3, all, all + 15, 5, h);
  for (i = 0; i < 10; ++i) hidden[i] = (float)(h[i] > 0.0 ? h[i] : 0.0);
  linear_by_hand(hidden, 2, 5, all + 20, all + 30, 2, y);
  CHECK_OK(nnstate_network_predict(net, hand_x, 6, 2, out, 4));
  for (i = 0; i < 4; ++i) CHECK_NEAR(out[i], y[i], 1e-5);
  nnstate_network_free(net);
}

/* ---- building errors ---------------------------------------------------------------------- */

static void test_build_errors(void) {
  nnstate_network *net = make_mlp(8);
  nnstate_optimizer_options options;
  float before[MLP_VALUES], after[MLP_VALUES];
  size_t count = 0;
  uint64_t params = 0;
  read_mlp(net, before);

  /* in_features differs from the previous output: both sizes in the message. */
  CHECK_ERR(nnstate_network_add_linear(net, 4, 3, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(4);
  CHECK_MSG_NUMBER(2);
  CHECK_ERR(nnstate_network_add_linear(net, 3, 7, 1), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(3);
  CHECK_MSG_NUMBER(2);
  /* Nothing was added. */
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 3);
  CHECK_OK(nnstate_network_output_size(net, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 32);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 4);

  /* Sizes must be positive. */
  CHECK_ERR(nnstate_network_add_linear(net, 2, 0, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_linear(net, 2, -3, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(-3);
  {
    nnstate_network *empty = NULL;
    CHECK_OK(nnstate_network_create(&empty, 1));
    CHECK_ERR(nnstate_network_add_linear(empty, 0, 3, 1), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_ERR(nnstate_network_add_linear(empty, -1, 3, 1), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_ERR(nnstate_network_add_linear(empty, INT64_MIN, INT64_MIN, 1),
              NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_OK(nnstate_network_layer_count(empty, &count));
    CHECK(count == 0);
    CHECK_ERR(nnstate_network_input_size(empty, &count), NNSTATE_ERR_STATE);
    /* No optimizer without layers. */
    CHECK_OK(nnstate_optimizer_options_init(&options, NNSTATE_OPTIMIZER_SGD));
    CHECK_ERR(nnstate_network_set_optimizer(empty, &options), NNSTATE_ERR_STATE);
    nnstate_network_free(empty);
  }

  /* Unknown or non-activation kinds: INVALID_ARGUMENT naming the kind. */
  CHECK_ERR(nnstate_network_add_activation(net, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_activation(net, 7), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(7);
  CHECK_ERR(nnstate_network_add_activation(net, -1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_activation(net, 1000), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(1000);
  CHECK_ERR(nnstate_network_add_activation(net, NNSTATE_LAYER_LINEAR),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_activation(net, NNSTATE_LAYER_LEAKY_RELU),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_leaky_relu(net, INFINITY), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_add_leaky_relu(net, NAN), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 3);

  /* Once the optimizer is set, no more layers. */
  CHECK_OK(nnstate_optimizer_options_init(&options, NNSTATE_OPTIMIZER_SGD));
  CHECK_OK(nnstate_network_set_optimizer(net, &options));
  CHECK_ERR(nnstate_network_add_linear(net, 2, 2, 1), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_add_leaky_relu(net, 0.01f), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_add_gelu(net, 0), NNSTATE_ERR_STATE);
  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == 3);

  read_mlp(net, after);
  CHECK(memcmp(before, after, sizeof before) == 0);
  nnstate_network_free(net);
}

int main(void) {
  test_empty_network();
  test_mlp_structure();
  test_no_bias_and_leading_activation();
  test_tensor_round_trip();
  test_tensor_errors();
  test_seeds();
  test_default_init();
  test_predict_by_hand();
  test_predict_mlp_by_hand();
  test_build_errors();
  printf("api_network: all checks passed\n");
  return 0;
}
