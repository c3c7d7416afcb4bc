/*
 * Graph networks through nnstate_network_add_node: a ResNet BasicBlock with a projection
 * shortcut named like torchvision's resnet18, trained by the C trainer, saved and reloaded with
 * identical predictions; every refusal of a node description (status and a message naming the
 * node and the field); and node descriptions that rebuild the same network.
 */
#include <string.h>

#include "check.h"

#define SAMPLES 24
#define SAMPLE_SIZE (3 * 8 * 8)
#define CLASSES 3

static const int64_t kInputShape[3] = {3, 8, 8};

/* The block of torchvision's resnet18 layer1.0 with a downsample, then its head. */
static const char *const kNodes[] = {
    "{\"kind\": \"Conv2d\", \"name\": \"layer1.0.conv1\", \"inputs\": [-1], \"in_channels\": 3,"
    " \"out_channels\": 8, \"kernel_size\": 3, \"stride\": 2, \"padding\": 1, \"bias\": false}",
    "{\"kind\": \"BatchNorm2d\", \"name\": \"layer1.0.bn1\", \"num_features\": 8}",
    "{\"kind\": \"ReLU\", \"name\": \"layer1.0.relu\"}",
    "{\"kind\": \"Conv2d\", \"name\": \"layer1.0.conv2\", \"in_channels\": 8, \"out_channels\": 8,"
    " \"kernel_size\": [3, 3], \"padding\": \"same\", \"bias\": false}",
    "{\"kind\": \"BatchNorm2d\", \"name\": \"layer1.0.bn2\", \"num_features\": 8}",
    "{\"kind\": \"Conv2d\", \"name\": \"layer1.0.downsample.0\", \"inputs\": [-1],"
    " \"in_channels\": 3, \"out_channels\": 8, \"kernel_size\": 1, \"stride\": 2, \"bias\": false}",
    "{\"kind\": \"BatchNorm2d\", \"name\": \"layer1.0.downsample.1\", \"num_features\": 8}",
    "{\"kind\": \"Add\", \"inputs\": [\"layer1.0.bn2\", \"layer1.0.downsample.1\"]}",
    "{\"kind\": \"ReLU\"}",
    "{\"kind\": \"AdaptiveAvgPool2d\", \"name\": \"avgpool\", \"output_size\": [1, 1]}",
    "{\"kind\": \"Flatten\"}",
    "{\"kind\": \"Linear\", \"name\": \"fc\", \"in_features\": 8, \"out_features\": 3}",
};
#define NODE_COUNT (sizeof kNodes / sizeof kNodes[0])

static const char *const kTensorNames[] = {
    "layer1.0.conv1.weight",
    "layer1.0.bn1.weight",
    "layer1.0.bn1.bias",
    "layer1.0.bn1.running_mean",
    "layer1.0.bn1.running_var",
    "layer1.0.bn1.num_batches_tracked",
    "layer1.0.conv2.weight",
    "layer1.0.bn2.weight",
    "layer1.0.bn2.bias",
    "layer1.0.bn2.running_mean",
    "layer1.0.bn2.running_var",
    "layer1.0.bn2.num_batches_tracked",
    "layer1.0.downsample.0.weight",
    "layer1.0.downsample.1.weight",
    "layer1.0.downsample.1.bias",
    "layer1.0.downsample.1.running_mean",
    "layer1.0.downsample.1.running_var",
    "layer1.0.downsample.1.num_batches_tracked",
    "fc.weight",
    "fc.bias",
};
#define TENSOR_COUNT (sizeof kTensorNames / sizeof kTensorNames[0])

static float inputs[SAMPLES * SAMPLE_SIZE], targets[SAMPLES];

static void make_data(void) {
  uint32_t s = 2024u;
  size_t i;
  for (i = 0; i < SAMPLES; ++i) targets[i] = (float)(i % CLASSES);
  for (i = 0; i < SAMPLES * SAMPLE_SIZE; ++i) {
    s = s * 1664525u + 1013904223u;
    /* The class shifts the first channel, so the block can learn it. */
    inputs[i] = (float)((s >> 8) / 16777216.0 - 0.5) +
                ((i % SAMPLE_SIZE) < 64 ? targets[i / SAMPLE_SIZE] : 0.0f);
  }
}

static nnstate_network *empty_network(void) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, 11));
  CHECK_OK(nnstate_network_set_input_shape(net, kInputShape, 3));
  return net;
}

static nnstate_network *build_block(void) {
  nnstate_network *net = empty_network();
  size_t i;
  for (i = 0; i < NODE_COUNT; ++i) {
    int64_t index = -7;
    CHECK_OK(nnstate_network_add_node(net, kNodes[i], &index));
    CHECK(index == (int64_t)i);
  }
  return net;
}

static void check_tensor_names(const nnstate_network *net) {
  size_t count = 0, i;
  CHECK_OK(nnstate_network_tensor_count(net, &count));
  CHECK(count == TENSOR_COUNT);
  for (i = 0; i < count; ++i) {
    const char *name = NULL;
    CHECK_OK(nnstate_network_tensor_info(net, i, &name, NULL, NULL, NULL));
    if (strcmp(name, kTensorNames[i]) != 0) {
      fprintf(stderr, "tensor %zu is \"%s\", expected \"%s\"\n", i, name, kTensorNames[i]);
      exit(1);
    }
  }
}

static void predict(nnstate_network *net, float *out) {
  CHECK_OK(
      nnstate_network_predict(net, inputs, SAMPLES * SAMPLE_SIZE, SAMPLES, out, SAMPLES * CLASSES));
}

static void train_save_reload(void) {
  nnstate_network *net = build_block(), *loaded = NULL;
  nnstate_optimizer_options sgd;
  nnstate_trainer_options options;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *data = NULL;
  nnstate_epoch_info first, last;
  size_t size = 0, rows = 0;
  void *bytes;
  float before[SAMPLES * CLASSES], after[SAMPLES * CLASSES], reloaded[SAMPLES * CLASSES];
  int32_t stop = -1;

  check_tensor_names(net);
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD));
  sgd.lr = 0.1;
  sgd.momentum = 0.9;
  CHECK_OK(nnstate_network_set_optimizer(net, &sgd));
  /* No node joins a network whose optimizer covers its parameters. */
  CHECK_ERR(nnstate_network_add_node(net, "{\"kind\": \"ReLU\"}", NULL), NNSTATE_ERR_STATE);
  CHECK_MSG_CONTAINS("optimizer");

  predict(net, before);
  CHECK_OK(nnstate_dataset_create(&data, inputs, SAMPLES * SAMPLE_SIZE, targets, SAMPLES, SAMPLES));
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.epochs = 6;
  options.batch_size = 8;
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  CHECK_OK(nnstate_trainer_fit(trainer, data, NULL, &stop));
  CHECK(stop == NNSTATE_STOP_COMPLETED);
  CHECK_OK(nnstate_trainer_history_count(trainer, &rows));
  CHECK(rows == 6);
  first.struct_size = last.struct_size = sizeof first;
  CHECK_OK(nnstate_trainer_history_row(trainer, 0, &first));
  CHECK_OK(nnstate_trainer_history_row(trainer, 5, &last));
  CHECK(last.loss < first.loss); /* it learns through the residual block */
  predict(net, after);
  CHECK(memcmp(before, after, sizeof before) != 0);

  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, &size, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  bytes = malloc(size);
  CHECK(bytes != NULL);
  CHECK_OK(nnstate_checkpoint_save_to_buffer(net, bytes, size, &size, NULL));
  CHECK_OK(nnstate_checkpoint_load_buffer(&loaded, bytes, size, NULL));
  check_tensor_names(loaded);
  predict(loaded, reloaded);
  CHECK(memcmp(after, reloaded, sizeof after) == 0);

  free(bytes);
  nnstate_trainer_free(trainer);
  nnstate_dataset_free(data);
  nnstate_network_free(loaded);
  nnstate_network_free(net);
}

/* The description of node `index`, in a buffer sized by asking first. */
static char *node_json(const nnstate_network *net, size_t index) {
  size_t size = 0, again = 0;
  char *text;
  CHECK_ERR(nnstate_network_node_json(net, index, NULL, 0, &size), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(size);
  text = (char *)malloc(size);
  CHECK(text != NULL);
  CHECK_ERR(nnstate_network_node_json(net, index, text, size - 1, &again),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(again == size);
  CHECK_OK(nnstate_network_node_json(net, index, text, size, &again));
  CHECK(again == size && strlen(text) + 1 == size);
  return text;
}

static void descriptions_rebuild_the_network(void) {
  nnstate_network *net = build_block(), *copy = empty_network();
  size_t count = 0, i;
  float a[SAMPLES * CLASSES], b[SAMPLES * CLASSES];
  char *text;

  CHECK_OK(nnstate_network_layer_count(net, &count));
  CHECK(count == NODE_COUNT);
  for (i = 0; i < count; ++i) {
    char *again;
    text = node_json(net, i);
    CHECK_OK(nnstate_network_add_node(copy, text, NULL));
    again = node_json(copy, i);
    CHECK(strcmp(text, again) == 0);
    free(again);
    free(text);
  }
  /* Every argument is written out, with PyTorch's names and defaults. */
  text = node_json(net, 0);
  CHECK(strcmp(text,
               "{\"kind\":\"Conv2d\",\"name\":\"layer1.0.conv1\",\"inputs\":[-1],"
               "\"in_channels\":3,\"out_channels\":8,\"kernel_size\":3,\"stride\":2,"
               "\"padding\":1,\"dilation\":1,\"groups\":1,\"bias\":false}") == 0);
  free(text);
  text = node_json(net, 7);
  CHECK(strcmp(text,
               "{\"kind\":\"Add\",\"inputs\":[\"layer1.0.bn2\",\"layer1.0.downsample.1\"]}") == 0);
  free(text);
  text = node_json(net, 8);
  CHECK(strcmp(text, "{\"kind\":\"ReLU\",\"inputs\":[7]}") == 0);
  free(text);
  /* The same seed and descriptions: the same weights and the same outputs. */
  check_tensor_names(copy);
  predict(net, a);
  predict(copy, b);
  CHECK(memcmp(a, b, sizeof a) == 0);

  CHECK_ERR(nnstate_network_node_json(net, count, NULL, 0, &count), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(NODE_COUNT);
  CHECK_ERR(nnstate_network_node_json(net, 0, NULL, 0, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_node_json(NULL, 0, NULL, 0, &count), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_network_free(copy);
  nnstate_network_free(net);
}

/* `json` is refused with `status` and exactly `message`; the network is unchanged. */
static void check_refused_(nnstate_network *net, const char *json, nnstate_status status,
                           const char *message, const char *file, int line) {
  size_t before = 0, after = 0;
  int64_t index = 5;
  char error[1024];
  CHECK_OK(nnstate_network_layer_count(net, &before));
  check_status_(nnstate_network_add_node(net, json, &index), status, json, file, line);
  snprintf(error, sizeof error, "%s", nnstate_last_error());
  CHECK(index == -1);
  CHECK_OK(nnstate_network_layer_count(net, &after));
  CHECK(after == before);
  if (strstr(error, message) == NULL) {
    fprintf(stderr, "%s:%d: %s\n  message \"%s\"\n  lacks \"%s\"\n", file, line, json, error,
            message);
    exit(1);
  }
}
#define CHECK_REFUSED(net, json, status, message) \
  check_refused_((net), (json), (status), (message), __FILE__, __LINE__)

static void refusals(void) {
  nnstate_network *net = empty_network();
  const nnstate_status invalid = NNSTATE_ERR_INVALID_ARGUMENT;

  CHECK_OK(nnstate_network_add_node(
      net,
      "{\"kind\": \"Conv2d\", \"name\": \"stem\", \"in_channels\": 3, \"out_channels\": 4,"
      " \"kernel_size\": 3}",
      NULL));
  CHECK_ERR(nnstate_network_add_node(NULL, "{}", NULL), invalid);
  CHECK_MSG_CONTAINS("network is NULL");
  CHECK_ERR(nnstate_network_add_node(net, NULL, NULL), invalid);
  CHECK_MSG_CONTAINS("node_json is NULL");

  /* Syntax and structure. */
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\",", invalid, "node 1: invalid JSON: ");
  CHECK_REFUSED(net, "", invalid, "node 1: invalid JSON: ");
  CHECK_REFUSED(net, "[1, 2]", invalid, "node 1: expected a JSON object, got an array of 2 items");
  CHECK_REFUSED(net, "{\"name\": \"a\"}", invalid, "node \"a\": field \"kind\" is missing");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"kind\": \"Tanh\"}", invalid,
                "node 1: duplicate field \"kind\"");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"name\": 3}", invalid,
                "node 1: field \"name\": expected a string");

  /* Kinds and fields. */
  CHECK_REFUSED(net, "{\"kind\": \"Conv3d\", \"name\": \"c\"}", invalid,
                "node \"c\": field \"kind\": unknown layer kind \"Conv3d\"");
  CHECK_REFUSED(net, "{\"kind\": 7}", invalid,
                "node 1: field \"kind\": expected a layer class name, got 7");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inplace\": true}", invalid,
                "node 1 (ReLU): unknown field \"inplace\" (it takes none)");
  CHECK_REFUSED(net,
                "{\"kind\": \"Conv2d\", \"name\": \"c\", \"in_channels\": 4, \"out_channels\": 4,"
                " \"kernel_size\": 3, \"kernal\": 1}",
                invalid,
                "node \"c\" (Conv2d): unknown field \"kernal\" (it takes in_channels, "
                "out_channels, kernel_size, stride, padding, dilation, groups, bias)");
  CHECK_REFUSED(net,
                "{\"kind\": \"Conv2d\", \"name\": \"layer1.0.conv1\", \"in_channels\": 4,"
                " \"out_channels\": 4, \"kernel_size\": \"x\"}",
                invalid,
                "node \"layer1.0.conv1\" (Conv2d): field \"kernel_size\": expected an integer or "
                "[h, w], got \"x\"");
  CHECK_REFUSED(net, "{\"kind\": \"Conv2d\", \"in_channels\": 4, \"kernel_size\": 3}", invalid,
                "node 1 (Conv2d): field \"out_channels\" is missing");
  CHECK_REFUSED(net, "{\"kind\": \"Linear\", \"in_features\": 4, \"out_features\": 2, \"bias\": 1}",
                invalid, "node 1 (Linear): field \"bias\": expected true or false, got 1");
  CHECK_REFUSED(net, "{\"kind\": \"GELU\", \"approximate\": \"erf\"}", invalid,
                "node 1 (GELU): field \"approximate\": expected \"none\" or \"tanh\", got \"erf\"");
  CHECK_REFUSED(net, "{\"kind\": \"MaxPool2d\", \"kernel_size\": [2, 2, 2]}", invalid,
                "field \"kernel_size\": expected an integer or [h, w], got an array of 3 items");
  CHECK_REFUSED(net, "{\"kind\": \"MaxPool2d\", \"kernel_size\": [[[[[[2]]]]]]}", invalid,
                "field \"kernel_size\": expected an integer or [h, w], got an array of 1 item");
  CHECK_REFUSED(net, "{\"kind\": \"MaxPool2d\", \"kernel_size\": 2, \"padding\": \"same\"}",
                invalid, "field \"padding\": expected an integer or [h, w], got \"same\"");

  /* Numbers: range-checked before any conversion. */
  CHECK_REFUSED(net, "{\"kind\": \"Linear\", \"in_features\": 1e300, \"out_features\": 2}", invalid,
                "node 1 (Linear): field \"in_features\": expected an integer, got 1e+300");
  CHECK_REFUSED(net, "{\"kind\": \"Linear\", \"in_features\": -0.5, \"out_features\": 2}", invalid,
                "field \"in_features\": expected an integer, got -0.5");
  CHECK_REFUSED(net, "{\"kind\": \"Linear\", \"in_features\": 4, \"out_features\": 0}", invalid,
                "field \"out_features\": 0 is out of range [1, 9223372036854775807]");
  CHECK_REFUSED(
      net, "{\"kind\": \"Linear\", \"in_features\": 18446744073709551615, \"out_features\": 2}",
      invalid,
      "field \"in_features\": 18446744073709551615 is out of range [1, "
      "9223372036854775807]");
  CHECK_REFUSED(net, "{\"kind\": \"Softmax\", \"dim\": 2147483648}", invalid,
                "node 1 (Softmax): field \"dim\": 2147483648 is out of range [-2147483648, "
                "2147483647]");
  CHECK_REFUSED(net, "{\"kind\": \"Dropout\", \"p\": 1.5}", invalid,
                "node 1 (Dropout): field \"p\": 1.5 is out of range [0, 1]");
  CHECK_REFUSED(net, "{\"kind\": \"LeakyReLU\", \"negative_slope\": 1e300}", invalid,
                "field \"negative_slope\": 1e+300 is out of range");

  /* Inputs. */
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inputs\": [1]}", invalid,
                "node 1 (ReLU): field \"inputs\": 1 is out of range [-1, 0]");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inputs\": [-2]}", invalid,
                "field \"inputs\": -2 is out of range [-1, 0]");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inputs\": [\"nope\"]}", invalid,
                "node 1 (ReLU): field \"inputs\": no earlier node is named \"nope\"");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inputs\": []}", invalid,
                "field \"inputs\": expected a non-empty list");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inputs\": 0}", invalid,
                "field \"inputs\": expected a non-empty list");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"inputs\": [0.5]}", invalid,
                "field \"inputs\": expected a node index (-1: the network input) or a node name, "
                "got 0.5");

  /* What the graph and the layers refuse, prefixed with the node. */
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"name\": \"stem\"}", invalid,
                "node \"stem\" (ReLU): layer 1 cannot be named \"stem\": layer 0 \"stem\" (Conv2d) "
                "already has that name");
  CHECK_REFUSED(net, "{\"kind\": \"ReLU\", \"name\": \"a b\"}", invalid,
                "node \"a b\" (ReLU): node name \"a b\" has a character");
  CHECK_REFUSED(net, "{\"kind\": \"Add\", \"name\": \"sum\"}", invalid,
                "node \"sum\" (Add): layer 1 (Add) takes two or more inputs, got 1");
  CHECK_REFUSED(
      net,
      "{\"kind\": \"Conv2d\", \"name\": \"c\", \"in_channels\": 5, \"out_channels\": 4,"
      " \"kernel_size\": 3}",
      NNSTATE_ERR_SHAPE_MISMATCH,
      "node \"c\" (Conv2d): layer 1 \"c\" (Conv2d) cannot take samples of shape [4, 6, 6]");
  CHECK_REFUSED(net, "{\"kind\": \"Add\", \"name\": \"sum\", \"inputs\": [-1, \"stem\"]}",
                NNSTATE_ERR_SHAPE_MISMATCH,
                "node \"sum\" (Add): layer 1 \"sum\" (Add): Add needs inputs of one shape, got [1, "
                "3, 8, 8], [1, 4, 6, 6]");
  CHECK_REFUSED(
      net,
      "{\"kind\": \"Embedding\", \"num_embeddings\": 4, \"embedding_dim\": 2,"
      " \"padding_idx\": 4}",
      invalid,
      "node 1 (Embedding): Embedding(4, 2, padding_idx=4): padding_idx 4 must be in [-4, 4)");

  /* The refusals above consumed no initialisation randomness and left no node behind. */
  CHECK_OK(nnstate_network_add_node(net, "{\"kind\": \"ReLU\", \"name\": \"relu\"}", NULL));
  nnstate_network_free(net);
}

int main(void) {
  make_data();
  train_save_reload();
  descriptions_rebuild_the_network();
  refusals();
  return 0;
}
