// Golden-file tests pin the bits of each tensor's first value, as their generator printed them:
// any change to how a file is read shows up as a changed bit pattern.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <initializer_list>
#include <utility>

#include "checkpoint/data.h"
#include "checkpoint/reader.h"

namespace nnstate::testing {

inline void check_first_values(const checkpoint::Source &source, const checkpoint::Contents &c,
                               std::initializer_list<std::pair<const char *, uint32_t>> bits) {
  for (const auto &entry : bits) {
    // Named copies, not a structured binding: INFO captures `name` in a lambda, which C++17
    // allows for variables only (Clang refuses the binding).
    const char *name = entry.first;
    const uint32_t expected = entry.second;
    const checkpoint::TensorEntry *e = c.find(name);
    REQUIRE(e != nullptr);
    Tensor t(e->shape);
    checkpoint::read_tensors(source, c, {{e, t.data()}}, checkpoint::DataCheck::crc_and_padding);
    uint32_t got;
    std::memcpy(&got, t.data(), sizeof got);
    INFO(name);
    CHECK(got == expected);
  }
}

}  // namespace nnstate::testing
