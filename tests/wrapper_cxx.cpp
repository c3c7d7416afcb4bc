// The header-only C++ wrapper: RAII handles, exceptions with the status, and the same results
// as the C API.
#include "nnstate/nnstate.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#define REQUIRE(cond)                                                         \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      std::exit(1);                                                           \
    }                                                                         \
  } while (0)

int main() {
  nnstate::Network net(3);
  net.linear(2, 8)
      .tanh()
      .linear(8, 1)
      .loss(NNSTATE_LOSS_BCE_WITH_LOGITS)
      .optimizer(nnstate::adam(0.05));
  const std::vector<float> x = {0, 0, 0, 1, 1, 0, 1, 1}, y = {0, 1, 1, 0};
  float loss = 0;
  for (int i = 0; i < 500; ++i) loss = net.train_step(x, y, 4);
  REQUIRE(loss < 0.05f);
  const std::vector<float> out = net.predict(x, 4);
  for (int i = 0; i < 4; ++i) REQUIRE((out[i] > 0) == (y[i] > 0.5f));
  REQUIRE(net.parameter_count() == 33);
  REQUIRE(net.tensor_names() ==
          (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  REQUIRE(net.tensor("2.weight").size() == 8);

  bool thrown = false;
  try {
    net.train_step({1, 2, 3}, {1}, 1);
  } catch (const nnstate::Error &e) {
    thrown = e.status() == NNSTATE_ERR_SHAPE_MISMATCH &&
             std::string(e.what()).find('3') != std::string::npos;
  }
  REQUIRE(thrown);

  nnstate::Network moved = std::move(net);  // the handle moves; one free at the end
  REQUIRE(moved.get() != nullptr && net.get() == nullptr);
  REQUIRE(std::fabs(moved.lr() - 0.05) < 1e-12);
  std::puts("wrapper_cxx: all checks passed");
  return 0;
}
