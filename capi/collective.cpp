// C API: the collective of a data-parallel run (nnstate_network_set_collective), the callbacks
// a transport such as the MPI component (mpi/) provides, as the core's parallel::Collective.
#include <memory>

#include "guard.h"
#include "handles.h"
#include "parallel/collective.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

class CallbackCollective final : public nnstate::Collective {
 public:
  explicit CallbackCollective(const nnstate_collective &c) : c_(c) {}
  ~CallbackCollective() override {
    if (c_.release) c_.release(c_.user_data);
  }
  int64_t rank() const override { return c_.rank; }
  int64_t size() const override { return c_.size; }
  void allgather(void *buffer, const int64_t *bytes, const int64_t *offset) override {
    const int32_t status = c_.allgather(buffer, bytes, offset, c_.user_data);
    if (status != 0) failed("allgather", status);
  }
  void broadcast(void *buffer, int64_t bytes, int64_t root) override {
    const int32_t status = c_.broadcast(buffer, bytes, root, c_.user_data);
    if (status != 0) failed("broadcast", status);
  }

 private:
  [[noreturn]] void failed(const char *what, int32_t status) const {
    nnstate::fail(NNSTATE_ERR_IO, std::string("the collective's ") + what + " failed on rank " +
                                      std::to_string(c_.rank) + " (it returned " +
                                      std::to_string(status) + ")");
  }
  nnstate_collective c_;
};

}  // namespace

nnstate_status nnstate_collective_init(nnstate_collective *collective) {
  return guard([&] {
    require_arg(collective, "collective");
    *collective = nnstate_collective{};
    collective->struct_size = sizeof(nnstate_collective);
    collective->size = 1;
  });
}

nnstate_status nnstate_network_set_collective(nnstate_network *network,
                                              const nnstate_collective *collective) {
  return guard([&] {
    require_arg(network, "network");
    if (!collective) {
      network->model.set_collective(nullptr);
      return;
    }
    nnstate::capi::check_struct_size(collective, "nnstate_collective",
                                     "fill it with nnstate_collective_init");
    if (collective->size < 1 || collective->rank < 0 || collective->rank >= collective->size ||
        !collective->allgather || !collective->broadcast) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    "nnstate_collective: rank " + std::to_string(collective->rank) + " of size " +
                        std::to_string(collective->size) +
                        " (need 0 <= rank < size) and allgather and broadcast callbacks");
    }
    network->model.set_collective(std::make_shared<CallbackCollective>(*collective));
  });
}

nnstate_status nnstate_network_set_batchnorm_sync(nnstate_network *network, int32_t synchronised) {
  return guard([&] {
    require_arg(network, "network");
    network->model.set_batchnorm_synchronised(synchronised != 0);
  });
}

nnstate_status nnstate_network_batchnorm_sync(const nnstate_network *network,
                                              int32_t *synchronised) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(synchronised, "synchronised");
    *synchronised = network->model.batchnorm_synchronised() ? 1 : 0;
  });
}

nnstate_status nnstate_report_error(nnstate_status status, const char *message) {
  if (status == NNSTATE_OK) {
    nnstate::capi::clear_error();
    return NNSTATE_OK;
  }
  try {
    return nnstate::capi::set_error(status, message ? message : "");
  } catch (...) {
    return status;
  }
}
