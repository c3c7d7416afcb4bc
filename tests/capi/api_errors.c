/*
 * Versions, status strings, the last error, and NULL handles / NULL pointers given to every
 * function of nnstate.h: each must return INVALID_ARGUMENT with a message naming the argument,
 * never crash, and a successful call must clear the last error.
 */
#include "nnstate/nnstate.h"

#include "check.h"

/* A small complete network (Linear(2, 3), ReLU, Linear(3, 1), MSE, SGD), so that the only thing
 * wrong in the calls below is the NULL being tested. */
static nnstate_network *make_network(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options options;
  CHECK_OK(nnstate_network_create(&net, 7));
  CHECK(net != NULL);
  CHECK_OK(nnstate_network_add_linear(net, 2, 3, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 3, 1, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&options, NNSTATE_OPTIMIZER_SGD));
  options.lr = 0.1;
  CHECK_OK(nnstate_network_set_optimizer(net, &options));
  return net;
}

/* The call fails with INVALID_ARGUMENT and the message names the NULL argument. */
#define CHECK_NULL_ARG(call, argument)             \
  do {                                             \
    CHECK_ERR(call, NNSTATE_ERR_INVALID_ARGUMENT); \
    CHECK_MSG_CONTAINS(argument);                  \
  } while (0)

static void test_versions(void) {
  char expected[64];
  const char *version = nnstate_version_string();
  CHECK(version != NULL);
  snprintf(expected, sizeof expected, "%d.%d.%d", NNSTATE_VERSION_MAJOR, NNSTATE_VERSION_MINOR,
           NNSTATE_VERSION_PATCH);
  if (strcmp(version, expected) != 0) {
    fprintf(stderr, "nnstate_version_string() is \"%s\", the header says \"%s\"\n", version,
            expected);
    exit(1);
  }
  CHECK(nnstate_version_string() == version); /* a static string */
  CHECK(nnstate_abi_version() == NNSTATE_ABI_VERSION);
}

static void test_status_strings(void) {
  const nnstate_status codes[] = {NNSTATE_OK,
                                  NNSTATE_ERR_INVALID_ARGUMENT,
                                  NNSTATE_ERR_SHAPE_MISMATCH,
                                  NNSTATE_ERR_OUT_OF_MEMORY,
                                  NNSTATE_ERR_IO,
                                  NNSTATE_ERR_CORRUPT,
                                  NNSTATE_ERR_VERSION,
                                  NNSTATE_ERR_NOT_FOUND,
                                  NNSTATE_ERR_STATE,
                                  NNSTATE_ERR_INTERNAL};
  const size_t n = sizeof codes / sizeof codes[0];
  const nnstate_status unknown[] = {1, -10, -100, 12345, INT32_MIN, INT32_MAX};
  size_t i, j;

  /* The numbers are part of the ABI: fixed forever. */
  CHECK(NNSTATE_OK == 0);
  CHECK(NNSTATE_ERR_INVALID_ARGUMENT == -1);
  CHECK(NNSTATE_ERR_SHAPE_MISMATCH == -2);
  CHECK(NNSTATE_ERR_OUT_OF_MEMORY == -3);
  CHECK(NNSTATE_ERR_IO == -4);
  CHECK(NNSTATE_ERR_CORRUPT == -5);
  CHECK(NNSTATE_ERR_VERSION == -6);
  CHECK(NNSTATE_ERR_NOT_FOUND == -7);
  CHECK(NNSTATE_ERR_STATE == -8);
  CHECK(NNSTATE_ERR_INTERNAL == -9);

  for (i = 0; i < n; ++i) {
    const char *s = nnstate_status_string(codes[i]);
    CHECK(s != NULL);
    CHECK(s[0] != '\0');
    for (j = 0; j < i; ++j) {
      if (strcmp(s, nnstate_status_string(codes[j])) == 0) {
        fprintf(stderr, "status %d and %d share the string \"%s\"\n", (int)codes[i], (int)codes[j],
                s);
        exit(1);
      }
    }
  }
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; ++i) {
    const char *s = nnstate_status_string(unknown[i]);
    CHECK(s != NULL);
    CHECK(s[0] != '\0');
    for (j = 0; j < n; ++j) CHECK(strcmp(s, nnstate_status_string(codes[j])) != 0);
  }
}

static void test_last_error_lifecycle(void) {
  nnstate_network *net = NULL;
  size_t count = 0;
  /* Nothing failed yet on this thread. */
  CHECK(nnstate_last_error() != NULL);
  CHECK(strcmp(nnstate_last_error(), "") == 0);

  CHECK_ERR(nnstate_network_create(NULL, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  /* Reading the message, the status string or the version does not clear it. */
  CHECK(nnstate_last_error()[0] != '\0');
  CHECK(nnstate_last_error()[0] != '\0');
  (void)nnstate_status_string(NNSTATE_ERR_STATE);
  (void)nnstate_version_string();
  (void)nnstate_abi_version();
  CHECK(nnstate_last_error()[0] != '\0');

  /* A later error replaces the message. */
  CHECK_OK(nnstate_network_create(&net, 1));
  CHECK_ERR(nnstate_network_input_size(net, &count), NNSTATE_ERR_STATE);
  CHECK(strstr(nnstate_last_error(), "out is NULL") == NULL);
  nnstate_network_free(net);
}

/* Every status-returning function, when it succeeds, clears an earlier error. */
#define CHECK_CLEARS(call)                                                    \
  do {                                                                        \
    CHECK_ERR(nnstate_network_create(NULL, 0), NNSTATE_ERR_INVALID_ARGUMENT); \
    CHECK(nnstate_last_error()[0] != '\0');                                   \
    CHECK_OK(call);                                                           \
  } while (0)

static void test_success_clears_error(void) {
  nnstate_network *net = NULL, *other = NULL;
  nnstate_optimizer_options options;
  size_t count = 0;
  uint64_t params = 0;
  double lr = 0.0;
  float in[2] = {0.5f, -1.0f}, target[1] = {0.25f}, out[1], loss = 0.0f, w[4];
  const char *name = NULL;

  CHECK_CLEARS(nnstate_network_create(&net, 3));
  CHECK_CLEARS(nnstate_network_add_linear(net, 2, 4, 1));
  CHECK_CLEARS(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_CLEARS(nnstate_network_add_leaky_relu(net, 0.01f));
  CHECK_CLEARS(nnstate_network_add_gelu(net, 1));
  CHECK_CLEARS(nnstate_network_add_linear(net, 4, 1, 0));
  CHECK_CLEARS(nnstate_network_layer_count(net, &count));
  CHECK_CLEARS(nnstate_network_input_size(net, &count));
  CHECK_CLEARS(nnstate_network_output_size(net, &count));
  CHECK_CLEARS(nnstate_network_parameter_count(net, &params));
  CHECK_CLEARS(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_CLEARS(nnstate_optimizer_options_init(&options, NNSTATE_OPTIMIZER_ADAM));
  CHECK_CLEARS(nnstate_network_set_optimizer(net, &options));
  CHECK_CLEARS(nnstate_network_get_lr(net, &lr));
  CHECK_CLEARS(nnstate_network_set_lr(net, 0.01));
  CHECK_CLEARS(nnstate_network_train_step(net, in, 2, target, 1, 1, &loss));
  CHECK_CLEARS(nnstate_network_evaluate(net, in, 2, target, 1, 1, &loss));
  CHECK_CLEARS(nnstate_network_predict(net, in, 2, 1, out, 1));
  CHECK_CLEARS(nnstate_network_tensor_count(net, &count));
  CHECK_CLEARS(nnstate_network_tensor_info(net, 0, &name, NULL, NULL, NULL));
  CHECK_CLEARS(nnstate_network_get_tensor(net, "4.weight", w, 4));
  CHECK_CLEARS(nnstate_network_set_tensor(net, "4.weight", w, 4));
  /* nnstate_network_free has no status: it neither needs nor may report anything. */
  CHECK_CLEARS(nnstate_network_create(&other, 4));
  nnstate_network_free(other);
  nnstate_network_free(net);
}

static void test_free_null(void) {
  nnstate_network_free(NULL);
  nnstate_network_free(NULL);
}

static void test_null_handles(void) {
  nnstate_optimizer_options options;
  size_t count = 99;
  uint64_t params = 99;
  double lr = 99.0;
  float in[2] = {1.0f, 2.0f}, target[1] = {0.0f}, out[1] = {0.0f}, loss = 0.0f, values[6];
  const char *name = NULL;
  int32_t role = 0, rank = 0;
  int64_t dims[4];

  CHECK_OK(nnstate_optimizer_options_init(&options, NNSTATE_OPTIMIZER_SGD));
  CHECK_NULL_ARG(nnstate_network_add_linear(NULL, 2, 3, 1), "network");
  CHECK_NULL_ARG(nnstate_network_add_activation(NULL, NNSTATE_LAYER_RELU), "network");
  CHECK_NULL_ARG(nnstate_network_add_leaky_relu(NULL, 0.01f), "network");
  CHECK_NULL_ARG(nnstate_network_add_gelu(NULL, 0), "network");
  CHECK_NULL_ARG(nnstate_network_layer_count(NULL, &count), "network");
  CHECK_NULL_ARG(nnstate_network_input_size(NULL, &count), "network");
  CHECK_NULL_ARG(nnstate_network_output_size(NULL, &count), "network");
  CHECK_NULL_ARG(nnstate_network_parameter_count(NULL, &params), "network");
  CHECK_NULL_ARG(nnstate_network_set_loss(NULL, NNSTATE_LOSS_MSE), "network");
  CHECK_NULL_ARG(nnstate_network_set_optimizer(NULL, &options), "network");
  CHECK_NULL_ARG(nnstate_network_get_lr(NULL, &lr), "network");
  CHECK_NULL_ARG(nnstate_network_set_lr(NULL, 0.1), "network");
  CHECK_NULL_ARG(nnstate_network_train_step(NULL, in, 2, target, 1, 1, &loss), "network");
  CHECK_NULL_ARG(nnstate_network_evaluate(NULL, in, 2, target, 1, 1, &loss), "network");
  CHECK_NULL_ARG(nnstate_network_predict(NULL, in, 2, 1, out, 1), "network");
  CHECK_NULL_ARG(nnstate_network_tensor_count(NULL, &count), "network");
  CHECK_NULL_ARG(nnstate_network_tensor_info(NULL, 0, &name, &role, &rank, dims), "network");
  CHECK_NULL_ARG(nnstate_network_get_tensor(NULL, "0.weight", values, 6), "network");
  CHECK_NULL_ARG(nnstate_network_set_tensor(NULL, "0.weight", values, 6), "network");
  /* Nothing was written through the output pointers. */
  CHECK(count == 99 && params == 99 && lr == 99.0 && out[0] == 0.0f && name == NULL);
}

static void test_null_pointers(void) {
  nnstate_network *net = make_network();
  nnstate_network *created = (nnstate_network *)&created; /* garbage that must not survive */
  float in[2] = {1.0f, 2.0f}, target[1] = {0.5f}, out[1], loss = 0.0f, values[6];
  uint64_t params = 0;
  size_t count = 0;

  CHECK_NULL_ARG(nnstate_network_create(NULL, 0), "out");
  CHECK_NULL_ARG(nnstate_network_layer_count(net, NULL), "out");
  CHECK_NULL_ARG(nnstate_network_input_size(net, NULL), "out");
  CHECK_NULL_ARG(nnstate_network_output_size(net, NULL), "out");
  CHECK_NULL_ARG(nnstate_network_parameter_count(net, NULL), "out");
  CHECK_NULL_ARG(nnstate_optimizer_options_init(NULL, NNSTATE_OPTIMIZER_SGD), "options");
  CHECK_NULL_ARG(nnstate_optimizer_options_init(NULL, NNSTATE_OPTIMIZER_ADAM), "options");
  CHECK_NULL_ARG(nnstate_network_set_optimizer(net, NULL), "options");
  CHECK_NULL_ARG(nnstate_network_get_lr(net, NULL), "out");
  CHECK_NULL_ARG(nnstate_network_train_step(net, NULL, 2, target, 1, 1, &loss), "inputs");
  CHECK_NULL_ARG(nnstate_network_train_step(net, in, 2, NULL, 1, 1, &loss), "targets");
  CHECK_NULL_ARG(nnstate_network_evaluate(net, NULL, 2, target, 1, 1, &loss), "inputs");
  CHECK_NULL_ARG(nnstate_network_evaluate(net, in, 2, NULL, 1, 1, &loss), "targets");
  CHECK_NULL_ARG(nnstate_network_evaluate(net, in, 2, target, 1, 1, NULL), "loss_out");
  CHECK_NULL_ARG(nnstate_network_predict(net, NULL, 2, 1, out, 1), "inputs");
  CHECK_NULL_ARG(nnstate_network_predict(net, in, 2, 1, NULL, 1), "outputs");
  CHECK_NULL_ARG(nnstate_network_tensor_count(net, NULL), "out");
  CHECK_NULL_ARG(nnstate_network_get_tensor(net, NULL, values, 6), "name");
  CHECK_NULL_ARG(nnstate_network_get_tensor(net, "0.weight", NULL, 6), "values");
  CHECK_NULL_ARG(nnstate_network_set_tensor(net, NULL, values, 6), "name");
  CHECK_NULL_ARG(nnstate_network_set_tensor(net, "0.weight", NULL, 6), "values");

  /* Optional pointers: loss_out of train_step, every output of tensor_info. */
  CHECK_OK(nnstate_network_train_step(net, in, 2, target, 1, 1, NULL));
  CHECK_OK(nnstate_network_tensor_info(net, 0, NULL, NULL, NULL, NULL));
  CHECK_OK(nnstate_network_tensor_info(net, 3, NULL, NULL, NULL, NULL));

  /* The network is still fully usable after all these refusals. */
  CHECK_OK(nnstate_network_parameter_count(net, &params));
  CHECK(params == 2 * 3 + 3 + 3 * 1 + 1);
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == 4);
  CHECK_OK(nnstate_network_predict(net, in, 2, 1, out, 1));
  nnstate_network_free(net);

  /* create sets *out to a valid handle on success. */
  CHECK_OK(nnstate_network_create(&created, 0));
  CHECK(created != NULL && created != (nnstate_network *)&created);
  nnstate_network_free(created);
}

int main(void) {
  test_versions();
  test_status_strings();
  test_last_error_lifecycle();
  test_success_clears_error();
  test_free_null();
  test_null_handles();
  test_null_pointers();
  printf("api_errors: all checks passed\n");
  return 0;
}
