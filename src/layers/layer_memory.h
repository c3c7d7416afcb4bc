// The check every layer constructor runs before allocating its tensors: the byte count of
// its state, computed from the caller's sizes with overflow checks, must fit in this machine's
// memory. Without it a huge layer either wraps a size (and overflows the heap) or runs for
// minutes initialising memory the kernel overcommitted.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>

#include "tensor/shape.h"

namespace nnstate {

// `shapes` are the layer's tensors; the layer keeps `bytes_per_element` bytes for each of
// their elements (e.g. 8 for a float value and its float gradient). Throws INVALID_ARGUMENT
// naming `layer` and the shape when a count overflows, OUT_OF_MEMORY when the total exceeds
// the machine's memory.
void check_layer_memory(const std::string &layer, std::initializer_list<Shape> shapes,
                        size_t bytes_per_element);

}  // namespace nnstate
