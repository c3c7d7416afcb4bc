// nnstate.h included from C++ (built with -Wall -Wextra -pedantic -Werror and a few stricter
// C++ warnings): the header must compile on its own, give its functions C linkage (this program
// links against libnnstate.so by their unmangled names), and its types must be usable from C++
// as they are from C. Exits 0 when every runtime check holds.
#include "nnstate/nnstate.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

// Status codes, enums and types are what the C header says, usable in constant expressions.
static_assert(std::is_same<nnstate_status, int32_t>::value, "nnstate_status is int32_t");
static_assert(NNSTATE_OK == 0 && NNSTATE_ERR_INVALID_ARGUMENT == -1 &&
                  NNSTATE_ERR_SHAPE_MISMATCH == -2 && NNSTATE_ERR_OUT_OF_MEMORY == -3 &&
                  NNSTATE_ERR_IO == -4 && NNSTATE_ERR_CORRUPT == -5 && NNSTATE_ERR_VERSION == -6 &&
                  NNSTATE_ERR_NOT_FOUND == -7 && NNSTATE_ERR_STATE == -8 &&
                  NNSTATE_ERR_INTERNAL == -9,
              "status codes are fixed");
static_assert(NNSTATE_LOSS_MSE == 1 && NNSTATE_LOSS_CROSS_ENTROPY == 2 &&
                  NNSTATE_LOSS_BCE_WITH_LOGITS == 3,
              "loss kinds are fixed");
static_assert(NNSTATE_OPTIMIZER_SGD == 1 && NNSTATE_OPTIMIZER_ADAM == 2 &&
                  NNSTATE_OPTIMIZER_ADAMW == 3,
              "optimizer kinds are fixed");
static_assert(NNSTATE_LAYER_LINEAR == 1 && NNSTATE_LAYER_GELU == 6, "layer kinds are fixed");
static_assert(NNSTATE_ABI_VERSION == 1, "ABI version");
static_assert(std::is_standard_layout<nnstate_optimizer_options>::value &&
                  std::is_trivially_copyable<nnstate_optimizer_options>::value,
              "options are a plain C struct");
static_assert(offsetof(nnstate_optimizer_options, struct_size) == 0,
              "options begin with struct_size");
static_assert(std::is_same<decltype(&nnstate_network_create),
                           nnstate_status (*)(nnstate_network **, uint64_t)>::value,
              "nnstate_network_create signature");
static_assert(std::is_same<decltype(&nnstate_network_free), void (*)(nnstate_network *)>::value,
              "nnstate_network_free signature");

namespace {

int failures = 0;

void expect(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "header_cxx: %s failed (last error: \"%s\")\n", what,
                 nnstate_last_error());
    ++failures;
  }
}

}  // namespace

int main() {
  char version[32];
  std::snprintf(version, sizeof version, "%d.%d.%d", NNSTATE_VERSION_MAJOR, NNSTATE_VERSION_MINOR,
                NNSTATE_VERSION_PATCH);
  expect(std::strcmp(nnstate_version_string(), version) == 0, "version string");
  expect(nnstate_abi_version() == NNSTATE_ABI_VERSION, "ABI version");
  expect(nnstate_status_string(NNSTATE_ERR_STATE) != nullptr, "status string");

  // Errors reach C++ as statuses, never as exceptions.
  expect(nnstate_network_create(nullptr, 0) == NNSTATE_ERR_INVALID_ARGUMENT, "create(NULL)");
  expect(nnstate_last_error()[0] != '\0', "message after an error");

  nnstate_network *net = nullptr;
  expect(nnstate_network_create(&net, 5) == NNSTATE_OK && net != nullptr, "create");
  expect(nnstate_last_error()[0] == '\0', "message cleared by success");
  expect(nnstate_network_add_linear(net, 2, 3, 1) == NNSTATE_OK, "add_linear");
  expect(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH) == NNSTATE_OK, "add_activation");
  expect(nnstate_network_add_linear(net, 3, 1, 1) == NNSTATE_OK, "add_linear");
  expect(nnstate_network_add_linear(net, 2, 1, 1) == NNSTATE_ERR_SHAPE_MISMATCH, "mismatch");
  expect(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE) == NNSTATE_OK, "set_loss");

  nnstate_optimizer_options options;
  expect(nnstate_optimizer_options_init(&options, NNSTATE_OPTIMIZER_SGD) == NNSTATE_OK, "init");
  expect(options.struct_size == sizeof options, "struct_size");
  options.lr = 0.1;
  expect(nnstate_network_set_optimizer(net, &options) == NNSTATE_OK, "set_optimizer");

  uint64_t params = 0;
  expect(nnstate_network_parameter_count(net, &params) == NNSTATE_OK && params == 13,
         "parameter_count");
  const float inputs[4] = {0.0f, 1.0f, 1.0f, 0.0f};
  const float targets[2] = {1.0f, -1.0f};
  float first = 0.0f, loss = 0.0f;
  expect(nnstate_network_evaluate(net, inputs, 4, targets, 2, 2, &first) == NNSTATE_OK, "evaluate");
  for (int step = 0; step < 50; ++step) {
    expect(nnstate_network_train_step(net, inputs, 4, targets, 2, 2, nullptr) == NNSTATE_OK,
           "train_step");
  }
  expect(nnstate_network_evaluate(net, inputs, 4, targets, 2, 2, &loss) == NNSTATE_OK, "evaluate");
  expect(loss < first, "training lowers the loss");
  float outputs[2];
  expect(nnstate_network_predict(net, inputs, 4, 2, outputs, 2) == NNSTATE_OK, "predict");
  expect(nnstate_network_predict(net, inputs, 4, 2, outputs, 3) == NNSTATE_ERR_SHAPE_MISMATCH,
         "predict count");
  nnstate_network_free(net);
  nnstate_network_free(nullptr);

  if (failures == 0) std::printf("header_cxx: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
