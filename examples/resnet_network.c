#include "resnet_network.h"

#include <stdio.h>

#define TRY(call)                              \
  do {                                         \
    nnstate_status status_ = (call);           \
    if (status_ != NNSTATE_OK) return status_; \
  } while (0)

/* Adds one node to `net` from a printf-style description; its index goes to *index (may be
 * NULL). */
#define ADD(index, ...)                                 \
  do {                                                  \
    char json_[512];                                    \
    snprintf(json_, sizeof json_, __VA_ARGS__);         \
    TRY(nnstate_network_add_node(net, json_, (index))); \
  } while (0)

/* A kernel x kernel convolution without bias, padded by kernel / 2 (torchvision's conv3x3,
 * conv1x1 and the 7x7 stem), on node `input`, and its BatchNorm, whose index goes to *index. */
static nnstate_status conv_bn(nnstate_network *net, const char *conv, const char *bn, int64_t input,
                              int64_t in, int64_t out, int64_t stride, int64_t kernel,
                              int64_t *index) {
  ADD(NULL,
      "{\"kind\": \"Conv2d\", \"name\": \"%s\", \"inputs\": [%lld], \"in_channels\": %lld,"
      " \"out_channels\": %lld, \"kernel_size\": %lld, \"stride\": %lld, \"padding\": %lld,"
      " \"bias\": false}",
      conv, (long long)input, (long long)in, (long long)out, (long long)kernel, (long long)stride,
      (long long)(kernel / 2));
  ADD(index, "{\"kind\": \"BatchNorm2d\", \"name\": \"%s\", \"num_features\": %lld}", bn,
      (long long)out);
  return NNSTATE_OK;
}

/* torchvision's BasicBlock `prefix` (e.g. "layer2.0") on node `input`; *output is the index of
 * its final ReLU. The ReLU after the sum and the sum itself hold no tensors and stay unnamed
 * (torchvision applies the block's one `relu` module twice and adds with `+=`). */
static nnstate_status basic_block(nnstate_network *net, const char *prefix, int64_t input,
                                  int64_t in, int64_t out, int64_t stride, int64_t *output) {
  char name[2][64];
  int64_t relu, main_path, shortcut = input, sum;
  snprintf(name[0], sizeof name[0], "%s.conv1", prefix);
  snprintf(name[1], sizeof name[1], "%s.bn1", prefix);
  TRY(conv_bn(net, name[0], name[1], input, in, out, stride, 3, NULL));
  ADD(&relu, "{\"kind\": \"ReLU\", \"name\": \"%s.relu\"}", prefix);
  snprintf(name[0], sizeof name[0], "%s.conv2", prefix);
  snprintf(name[1], sizeof name[1], "%s.bn2", prefix);
  TRY(conv_bn(net, name[0], name[1], relu, out, out, 1, 3, &main_path));
  if (stride != 1 || in != out) {
    snprintf(name[0], sizeof name[0], "%s.downsample.0", prefix);
    snprintf(name[1], sizeof name[1], "%s.downsample.1", prefix);
    TRY(conv_bn(net, name[0], name[1], input, in, out, stride, 1, &shortcut));
  }
  ADD(&sum, "{\"kind\": \"Add\", \"inputs\": [%lld, %lld]}", (long long)main_path,
      (long long)shortcut);
  ADD(output, "{\"kind\": \"ReLU\", \"inputs\": [%lld]}", (long long)sum);
  return NNSTATE_OK;
}

nnstate_status resnet18_build(nnstate_network *net, int64_t in_channels, int64_t height,
                              int64_t image_width, int64_t width, int64_t classes) {
  const int64_t shape[3] = {in_channels, height, image_width};
  int64_t node = -1, channels = width, layer, block;
  TRY(nnstate_network_set_input_shape(net, shape, 3));
  TRY(conv_bn(net, "conv1", "bn1", -1, in_channels, width, 2, 7, NULL));
  ADD(NULL, "{\"kind\": \"ReLU\", \"name\": \"relu\"}");
  ADD(&node,
      "{\"kind\": \"MaxPool2d\", \"name\": \"maxpool\", \"kernel_size\": 3, \"stride\": 2,"
      " \"padding\": 1}");
  for (layer = 1; layer <= 4; ++layer) {
    const int64_t out = width << (layer - 1);
    for (block = 0; block < 2; ++block) {
      char prefix[48]; /* "layer" and two int64s: never truncated */
      const int64_t stride = layer > 1 && block == 0 ? 2 : 1;
      snprintf(prefix, sizeof prefix, "layer%lld.%lld", (long long)layer, (long long)block);
      TRY(basic_block(net, prefix, node, channels, out, stride, &node));
      channels = out;
    }
  }
  ADD(NULL, "{\"kind\": \"AdaptiveAvgPool2d\", \"name\": \"avgpool\", \"output_size\": 1}");
  ADD(NULL, "{\"kind\": \"Flatten\"}");
  ADD(NULL,
      "{\"kind\": \"Linear\", \"name\": \"fc\", \"in_features\": %lld, \"out_features\": %lld}",
      (long long)channels, (long long)classes);
  return NNSTATE_OK;
}
