// The registry of layer kinds (layers/registry.h): lookups by kind and by PyTorch name, and
// the refusal of numbers that are no kind. Its order and its agreement with the schema are
// checked at compile time (registry.cpp).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "layers/factory.h"
#include "layers/registry.h"
#include "util/error.h"

using namespace nnstate;

TEST_CASE("the registry maps every kind and its PyTorch name both ways") {
  std::set<std::string> names;
  int32_t expected = 1;
  for (const LayerKindEntry *e = layer_kinds_begin(); e != layer_kinds_end(); ++e, ++expected) {
    CHECK(static_cast<int32_t>(e->kind) == expected);
    CHECK(e->spec != nullptr);
    CHECK(names.insert(e->torch_name).second);
    CHECK(&layer_kind_entry(e->kind) == e);
    CHECK(find_layer_kind(e->torch_name) == e);
    CHECK(std::string(layer_kind_name(e->kind)) == e->torch_name);
    CHECK(find_layer_kind(e->kind) == e);
    const bool merge =
        e->kind == LayerKind::add || e->kind == LayerKind::concat || e->kind == LayerKind::multiply;
    CHECK(is_merge_kind(e->kind) == merge);
  }
  CHECK(names.size() == 23);
  CHECK(find_layer_kind("conv2d") == nullptr);  // names are case-sensitive, as in torch.nn
  CHECK(find_layer_kind("") == nullptr);
}

TEST_CASE("numbers that are no layer kind are refused, not looked up out of bounds") {
  for (int32_t n : {0, -1, 24, 1 << 30}) {
    const LayerKind kind = static_cast<LayerKind>(n);
    CHECK(std::string(layer_kind_name(kind)) == "unknown");
    CHECK(find_layer_kind(kind) == nullptr);
    CHECK_FALSE(is_merge_kind(kind));
    try {
      make_layer(LayerConfig(kind), nullptr);
      FAIL("kind " << n << " was built");
    } catch (const Error &e) {
      CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
      CHECK(std::string(e.what()) == "unknown layer kind " + std::to_string(n));
    }
  }
}
