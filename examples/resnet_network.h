/*
 * torchvision.models.resnet18's structure built through nnstate_network_add_node, with its
 * module names, so the network's state names equal resnet18().state_dict()'s keys:
 *   conv1 (7x7, stride 2) bn1 relu maxpool (3x3, stride 2)
 *   layer1..layer4, two BasicBlocks each (conv1 bn1 relu conv2 bn2, + shortcut, relu); the first
 *     block of layer2..4 halves the size and doubles the channels, its shortcut a 1x1 stride-2
 *     conv and BatchNorm named downsample.0 and downsample.1
 *   avgpool (AdaptiveAvgPool2d 1x1), flatten, fc
 * `width` is layer1's channel count (torchvision: 64; layers 2..4 have 2x, 4x, 8x), so a
 * narrower network keeps the names and scales the shapes.
 */
#ifndef NNSTATE_EXAMPLES_RESNET_NETWORK_H
#define NNSTATE_EXAMPLES_RESNET_NETWORK_H

#include "nnstate/nnstate.h"

/* Sets the input shape [in_channels, height, width] of an empty network and adds the nodes.
 * Returns the first failing call's status (nnstate_last_error() says why). */
nnstate_status resnet18_build(nnstate_network *net, int64_t in_channels, int64_t height,
                              int64_t image_width, int64_t width, int64_t classes);

#endif
