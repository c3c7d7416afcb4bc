/*
 * Whole networks as JSON documents: nnstate_network_create_from_json builds the same network
 * (names, weights, outputs) as the same nodes added one by one; nnstate_network_to_json and
 * nnstate_checkpoint_network_json print a document that rebuilds it, identically; every refusal
 * names the node and the field; the limits on length, node count and nesting hold.
 */
#include <string.h>

#include "check.h"

#define SAMPLES 4
#define SAMPLE_SIZE (2 * 6 * 6)
#define CLASSES 3

/* A residual block with a concatenated branch, over [2, 6, 6] samples. */
static const char *const kNodes[] = {
    "{\"kind\": \"Conv2d\", \"name\": \"conv1\", \"in_channels\": 2, \"out_channels\": 4,"
    " \"kernel_size\": 3, \"padding\": 1, \"bias\": false}",
    "{\"kind\": \"BatchNorm2d\", \"name\": \"bn1\", \"num_features\": 4}",
    "{\"kind\": \"ReLU\"}",
    "{\"kind\": \"Conv2d\", \"name\": \"shortcut\", \"inputs\": [-1], \"in_channels\": 2,"
    " \"out_channels\": 4, \"kernel_size\": 1}",
    "{\"kind\": \"Add\", \"name\": \"sum\", \"inputs\": [2, \"shortcut\"]}",
    "{\"kind\": \"Concat\", \"inputs\": [\"sum\", \"conv1\"]}",
    "{\"kind\": \"AdaptiveAvgPool2d\", \"output_size\": 1}",
    "{\"kind\": \"Flatten\"}",
    "{\"kind\": \"Linear\", \"name\": \"fc\", \"in_features\": 8, \"out_features\": 3}",
};
#define NODE_COUNT (sizeof kNodes / sizeof kNodes[0])

static char document[4096];
static float inputs[SAMPLES * SAMPLE_SIZE];

static void make_document(void) {
  size_t i;
  strcpy(document, "{\"input_shape\": [2, 6, 6], \"nodes\": [");
  for (i = 0; i < NODE_COUNT; ++i) {
    strcat(document, kNodes[i]);
    strcat(document, i + 1 < NODE_COUNT ? ", " : "]}");
  }
  for (i = 0; i < SAMPLES * SAMPLE_SIZE; ++i) inputs[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
}

static void predict(nnstate_network *net, float *out) {
  CHECK_OK(
      nnstate_network_predict(net, inputs, SAMPLES * SAMPLE_SIZE, SAMPLES, out, SAMPLES * CLASSES));
}

/* The same tensors by name and value. */
static void check_same_tensors(const nnstate_network *a, const nnstate_network *b) {
  size_t count = 0, other = 0, i;
  CHECK_OK(nnstate_network_tensor_count(a, &count));
  CHECK_OK(nnstate_network_tensor_count(b, &other));
  CHECK(count == other && count > 0);
  for (i = 0; i < count; ++i) {
    const char *name = NULL, *name_b = NULL;
    int32_t rank = 0;
    int64_t shape[4] = {1, 1, 1, 1};
    float x[128], y[128];
    size_t n;
    CHECK_OK(nnstate_network_tensor_info(a, i, &name, NULL, &rank, shape));
    CHECK_OK(nnstate_network_tensor_info(b, i, &name_b, NULL, NULL, NULL));
    CHECK(strcmp(name, name_b) == 0);
    n = (size_t)(shape[0] * (rank > 1 ? shape[1] : 1) * (rank > 2 ? shape[2] : 1) *
                 (rank > 3 ? shape[3] : 1));
    CHECK(n <= 128);
    CHECK_OK(nnstate_network_get_tensor(a, name, x, n));
    CHECK_OK(nnstate_network_get_tensor(b, name, y, n));
    CHECK(memcmp(x, y, n * sizeof(float)) == 0);
  }
}

/* nnstate_network_to_json into a buffer sized by asking first. */
static char *to_json(const nnstate_network *net) {
  size_t size = 0, again = 0;
  char *text;
  CHECK_ERR(nnstate_network_to_json(net, NULL, 0, &size), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(size);
  text = (char *)malloc(size);
  CHECK(text != NULL);
  CHECK_ERR(nnstate_network_to_json(net, text, size - 1, &again), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(again == size);
  CHECK_OK(nnstate_network_to_json(net, text, size, &again));
  CHECK(again == size && strlen(text) + 1 == size);
  return text;
}

static void builds_as_node_by_node(void) {
  nnstate_network *from_json = NULL, *by_nodes = NULL;
  static const int64_t shape[3] = {2, 6, 6};
  float a[SAMPLES * CLASSES], b[SAMPLES * CLASSES];
  size_t count = 0, i;

  CHECK_OK(nnstate_network_create_from_json(&from_json, document, 5));
  CHECK_OK(nnstate_network_create(&by_nodes, 5));
  CHECK_OK(nnstate_network_set_input_shape(by_nodes, shape, 3));
  for (i = 0; i < NODE_COUNT; ++i) CHECK_OK(nnstate_network_add_node(by_nodes, kNodes[i], NULL));
  CHECK_OK(nnstate_network_layer_count(from_json, &count));
  CHECK(count == NODE_COUNT);
  check_same_tensors(from_json, by_nodes);
  predict(from_json, a);
  predict(by_nodes, b);
  CHECK(memcmp(a, b, sizeof a) == 0);
  nnstate_network_free(from_json);
  nnstate_network_free(by_nodes);
}

static const char kExpected[] =
    "{\"input_shape\":[2,6,6],\"nodes\":[\n"
    "  {\"kind\":\"Conv2d\",\"name\":\"conv1\",\"inputs\":[-1],\"in_channels\":2,"
    "\"out_channels\":4,\"kernel_size\":3,\"stride\":1,\"padding\":1,\"dilation\":1,\"groups\":1,"
    "\"bias\":false},\n"
    "  {\"kind\":\"BatchNorm2d\",\"name\":\"bn1\",\"inputs\":[\"conv1\"],\"num_features\":4,"
    "\"eps\":1e-05,\"momentum\":0.1,\"affine\":true,\"track_running_stats\":true},\n"
    "  {\"kind\":\"ReLU\",\"inputs\":[\"bn1\"]},\n"
    "  {\"kind\":\"Conv2d\",\"name\":\"shortcut\",\"inputs\":[-1],\"in_channels\":2,"
    "\"out_channels\":4,\"kernel_size\":1,\"stride\":1,\"padding\":0,\"dilation\":1,\"groups\":1,"
    "\"bias\":true},\n"
    "  {\"kind\":\"Add\",\"name\":\"sum\",\"inputs\":[2,\"shortcut\"]},\n"
    "  {\"kind\":\"Concat\",\"inputs\":[\"sum\",\"conv1\"],\"dim\":1},\n"
    "  {\"kind\":\"AdaptiveAvgPool2d\",\"inputs\":[5],\"output_size\":1},\n"
    "  {\"kind\":\"Flatten\",\"inputs\":[6],\"start_dim\":1,\"end_dim\":-1},\n"
    "  {\"kind\":\"Linear\",\"name\":\"fc\",\"inputs\":[7],\"in_features\":8,\"out_features\":3,"
    "\"bias\":true}\n"
    "]}";

static void prints_and_rebuilds(void) {
  nnstate_network *net = NULL, *again = NULL, *loaded = NULL;
  nnstate_checkpoint *checkpoint = NULL;
  float a[SAMPLES * CLASSES], b[SAMPLES * CLASSES];
  char *text, *text_again, *stored;
  size_t size = 0, stored_size = 0;
  void *bytes;

  CHECK_OK(nnstate_network_create_from_json(&net, document, 9));
  text = to_json(net);
  if (strcmp(text, kExpected) != 0) {
    fprintf(stderr, "got:\n%s\nexpected:\n%s\n", text, kExpected);
    exit(1);
  }
  /* Its own description rebuilds it: same seed, same weights, same text. */
  CHECK_OK(nnstate_network_create_from_json(&again, text, 9));
  check_same_tensors(net, again);
  predict(net, a);
  predict(again, b);
  CHECK(memcmp(a, b, sizeof a) == 0);
  text_again = to_json(again);
  CHECK(strcmp(text, text_again) == 0);

  /* A checkpoint's architecture gives the same document, and so does the network it rebuilds. */
  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, &size, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  bytes = malloc(size);
  CHECK(bytes != NULL);
  CHECK_OK(nnstate_checkpoint_save_to_buffer(net, bytes, size, &size, NULL));
  CHECK_OK(nnstate_checkpoint_open_buffer(&checkpoint, bytes, size, NULL));
  CHECK_ERR(nnstate_checkpoint_network_json(checkpoint, NULL, 0, &stored_size),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(stored_size == strlen(text) + 1);
  stored = (char *)malloc(stored_size);
  CHECK(stored != NULL);
  CHECK_OK(nnstate_checkpoint_network_json(checkpoint, stored, stored_size, &stored_size));
  CHECK(strcmp(stored, text) == 0);
  CHECK_OK(nnstate_checkpoint_load_buffer(&loaded, bytes, size, NULL));
  free(text_again);
  text_again = to_json(loaded);
  CHECK(strcmp(text_again, text) == 0);

  CHECK_ERR(nnstate_checkpoint_network_json(NULL, NULL, 0, &size), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_network_json(checkpoint, NULL, 0, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_to_json(NULL, NULL, 0, &size), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_to_json(net, NULL, 0, NULL), NNSTATE_ERR_INVALID_ARGUMENT);

  free(stored);
  free(text_again);
  free(text);
  free(bytes);
  nnstate_checkpoint_free(checkpoint);
  nnstate_network_free(loaded);
  nnstate_network_free(again);
  nnstate_network_free(net);
}

/* Each node's kind, inputs, output shape and parameters. */
static void node_info(void) {
  nnstate_network *net = NULL;
  int32_t kind = 0, inputs_n = 0, rank = 0;
  int64_t dims[4] = {9, 9, 9, 9};
  uint64_t parameters = 7;
  CHECK_OK(nnstate_network_create_from_json(&net, document, 1));
  CHECK_OK(nnstate_network_node_info(net, 0, &kind, &inputs_n, &rank, dims, &parameters));
  CHECK(kind == NNSTATE_LAYER_CONV2D && inputs_n == 1 && rank == 3);
  CHECK(dims[0] == 4 && dims[1] == 6 && dims[2] == 6 && dims[3] == 0);
  CHECK(parameters == 2 * 4 * 3 * 3); /* no bias */
  CHECK_OK(nnstate_network_node_info(net, 1, &kind, NULL, NULL, NULL, &parameters));
  CHECK(kind == NNSTATE_LAYER_BATCH_NORM2D && parameters == 8); /* running stats are buffers */
  CHECK_OK(nnstate_network_node_info(net, 4, &kind, &inputs_n, NULL, NULL, &parameters));
  CHECK(kind == NNSTATE_LAYER_ADD && inputs_n == 2 && parameters == 0);
  CHECK_OK(nnstate_network_node_info(net, 5, &kind, NULL, &rank, dims, NULL));
  CHECK(kind == NNSTATE_LAYER_CONCAT && rank == 3 && dims[0] == 8 && dims[1] == 6);
  CHECK_OK(nnstate_network_node_info(net, 8, NULL, NULL, &rank, dims, &parameters));
  CHECK(rank == 1 && dims[0] == 3 && parameters == 8 * 3 + 3);
  CHECK_OK(nnstate_network_node_info(net, 8, NULL, NULL, NULL, NULL, NULL));
  CHECK_ERR(nnstate_network_node_info(net, 9, &kind, NULL, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(9);
  CHECK_ERR(nnstate_network_node_info(NULL, 0, &kind, NULL, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_network_free(net);
  /* No shape before the input shape is known; the rest is. */
  CHECK_OK(nnstate_network_create_from_json(&net, "{\"nodes\": [{\"kind\": \"ReLU\"}]}", 0));
  CHECK_ERR(nnstate_network_node_info(net, 0, NULL, NULL, &rank, NULL, NULL), NNSTATE_ERR_STATE);
  CHECK_OK(nnstate_network_node_info(net, 0, &kind, NULL, NULL, NULL, &parameters));
  CHECK(kind == NNSTATE_LAYER_RELU && parameters == 0);
  nnstate_network_free(net);
}

static void empty_and_stack_documents(void) {
  nnstate_network *net = NULL;
  char *text;
  /* No input shape: the first Linear fixes it, and the description then records it. */
  CHECK_OK(nnstate_network_create_from_json(
      &net,
      "{\"nodes\": [{\"kind\": \"Linear\", \"in_features\": 3, \"out_features\": 2},"
      " {\"kind\": \"Tanh\"}]}",
      0));
  text = to_json(net);
  CHECK(strcmp(text,
               "{\"input_shape\":[3],\"nodes\":[\n"
               "  {\"kind\":\"Linear\",\"inputs\":[-1],\"in_features\":3,\"out_features\":2,"
               "\"bias\":true},\n"
               "  {\"kind\":\"Tanh\",\"inputs\":[0]}\n"
               "]}") == 0);
  free(text);
  nnstate_network_free(net);
  CHECK_OK(nnstate_network_create_from_json(&net, "{\"nodes\": []}", 0));
  text = to_json(net);
  CHECK(strcmp(text, "{\"nodes\":[]}") == 0);
  free(text);
  nnstate_network_free(net);
}

/* `json` is refused with `status` and a message containing `message`; *out stays NULL. */
static void check_refused_(const char *json, nnstate_status status, const char *message,
                           const char *file, int line) {
  nnstate_network *net = (nnstate_network *)&net; /* not NULL, to see it reset */
  char error[2048];
  check_status_(nnstate_network_create_from_json(&net, json, 0), status, json, file, line);
  snprintf(error, sizeof error, "%s", nnstate_last_error());
  CHECK(net == NULL);
  if (strstr(error, message) == NULL) {
    fprintf(stderr, "%s:%d: %.200s\n  message \"%s\"\n  lacks \"%s\"\n", file, line, json, error,
            message);
    exit(1);
  }
}
#define CHECK_REFUSED(json, status, message) \
  check_refused_((json), (status), (message), __FILE__, __LINE__)

static void refusals(void) {
  const nnstate_status invalid = NNSTATE_ERR_INVALID_ARGUMENT;
  nnstate_network *net = NULL;

  CHECK_ERR(nnstate_network_create_from_json(NULL, "{}", 0), invalid);
  CHECK_MSG_CONTAINS("out is NULL");
  CHECK_ERR(nnstate_network_create_from_json(&net, NULL, 0), invalid);
  CHECK_MSG_CONTAINS("json is NULL");
  CHECK(net == NULL);

  /* The document. */
  CHECK_REFUSED("", invalid, "network description: invalid JSON: ");
  CHECK_REFUSED("{\"nodes\": [", invalid, "network description: invalid JSON: ");
  CHECK_REFUSED("[]", invalid, "network description: expected a JSON object, got an array");
  CHECK_REFUSED("{}", invalid, "network description: field \"nodes\" is missing");
  CHECK_REFUSED("{\"nodes\": {}}", invalid,
                "network description: field \"nodes\": expected a list of node objects, got an "
                "object");
  CHECK_REFUSED("{\"nodes\": [], \"loss\": \"mse\"}", invalid,
                "network description: unknown field \"loss\" (it takes input_shape, nodes)");
  CHECK_REFUSED("{\"nodes\": [], \"nodes\": []}", invalid,
                "network description: duplicate field \"nodes\"");
  CHECK_REFUSED("{\"input_shape\": [1, 0], \"nodes\": []}", invalid,
                "field \"input_shape\": expected a list of 1 to 3 positive integers (one sample, "
                "without the batch), got 0 at [1]");
  CHECK_REFUSED("{\"input_shape\": [1, 2, 3, 4], \"nodes\": []}", invalid,
                "field \"input_shape\": expected a list of 1 to 3 positive integers");
  CHECK_REFUSED("{\"input_shape\": [2.5], \"nodes\": []}", invalid,
                "field \"input_shape\": expected a list of 1 to 3 positive integers (one sample, "
                "without the batch), got 2.5 at [0]");
  CHECK_REFUSED("{\"input_shape\": 3, \"nodes\": []}", invalid,
                "field \"input_shape\": expected a list of 1 to 3 positive integers");
  CHECK_REFUSED("{\"input_shape\": [4294967296, 4294967296], \"nodes\": []}", invalid,
                "network description: field \"input_shape\": ");

  /* Nodes: named by index, and by name once it is known, with the field. */
  CHECK_REFUSED("{\"input_shape\": [4], \"nodes\": [{\"kind\": \"ReLU\"}, 3]}", invalid,
                "node 1: expected a JSON object, got 3");
  CHECK_REFUSED(
      "{\"input_shape\": [4], \"nodes\": [{\"kind\": \"ReLU\"},"
      " {\"kind\": \"ReLU\", \"kind\": \"Tanh\"}]}",
      invalid, "network description: node 1: duplicate field \"kind\"");
  CHECK_REFUSED(
      "{\"input_shape\": [4], \"nodes\": [{\"kind\": \"ReLU\"},"
      " {\"kind\": \"Linear\", \"name\": \"fc\", \"in_features\": 4,"
      " \"out_features\": \"x\"}]}",
      invalid, "node \"fc\" (Linear): field \"out_features\": expected an integer, got \"x\"");
  CHECK_REFUSED(
      "{\"input_shape\": [4], \"nodes\": [{\"kind\": \"ReLU\"},"
      " {\"kind\": \"Linear\", \"in_features\": 5, \"out_features\": 2}]}",
      NNSTATE_ERR_SHAPE_MISMATCH, "node 1 (Linear): ");
  CHECK_REFUSED(
      "{\"input_shape\": [4], \"nodes\": [{\"kind\": \"ReLU\", \"name\": \"a\"},"
      " {\"kind\": \"Tanh\", \"inputs\": [\"b\"]}]}",
      invalid, "node 1 (Tanh): field \"inputs\": no earlier node is named \"b\"");
  CHECK_REFUSED("{\"input_shape\": [4], \"nodes\": [{\"kind\": \"ReLU\", \"inputs\": [0]}]}",
                invalid, "node 0 (ReLU): field \"inputs\": 0 is out of range [-1, -1]");
}

static void limits(void) {
  const nnstate_status invalid = NNSTATE_ERR_INVALID_ARGUMENT;
  const size_t relu_nodes = 16385;
  static const char relu[] = "{\"kind\":\"ReLU\"},";
  size_t i, length = 0;
  char *text = (char *)malloc((size_t)9 << 20);
  nnstate_network *net = NULL;
  CHECK(text != NULL);

  /* Nesting beyond 16 levels is refused while parsing, naming the node. */
  strcpy(text, "{\"input_shape\": [4], \"nodes\": [{\"kind\": \"MaxPool2d\", \"kernel_size\": ");
  length = strlen(text);
  for (i = 0; i < 100000; ++i) text[length++] = '[';
  text[length] = '\0';
  CHECK_REFUSED(text, invalid, "network description: node 0: nested deeper than 16 levels");

  /* 16384 nodes are fine, one more is refused. */
  length = (size_t)sprintf(text, "{\"input_shape\": [4], \"nodes\": [");
  for (i = 0; i < relu_nodes; ++i) {
    memcpy(text + length, relu, sizeof relu - 1);
    length += sizeof relu - 1;
  }
  strcpy(text + length - 1, "]}");
  CHECK_REFUSED(text, invalid, "field \"nodes\": more than 16384 nodes");
  strcpy(text + length - 1 - (sizeof relu - 1), "]}");
  CHECK_OK(nnstate_network_create_from_json(&net, text, 0));
  nnstate_network_free(net);

  /* 8 MiB of text at most, refused before parsing. */
  memset(text, ' ', (size_t)8 << 20);
  memcpy(text, "{\"nodes\": []}", 13);
  text[((size_t)8 << 20) + 1] = '\0';
  text[(size_t)8 << 20] = ' ';
  CHECK_REFUSED(text, invalid,
                "network description: 8388609 bytes is longer than the limit of "
                "8388608");
  text[(size_t)8 << 20] = '\0';
  CHECK_OK(nnstate_network_create_from_json(&net, text, 0));
  nnstate_network_free(net);
  free(text);
}

int main(void) {
  make_document();
  builds_as_node_by_node();
  prints_and_rebuilds();
  node_info();
  empty_and_stack_documents();
  refusals();
  limits();
  return 0;
}
