// Header-only C++17 RAII wrapper over the C API (nnstate.h). It adds no symbols to the library
// and needs nothing but nnstate.h: link libnnstate as from C.
//
// - Handles close themselves: Network, Dataset, Trainer and Checkpoint own their C handle,
//   are movable and not copyable; a moved-from object holds NULL, so a call on it throws
//   (NNSTATE_ERR_INVALID_ARGUMENT) instead of crashing.
// - A failed call throws nnstate::Error with the status and nnstate_last_error()'s message.
// - Options are the C structs, filled with their defaults by adam(), trainer_options(), ...
// - Ownership is the C API's: a Dataset borrows its arrays, a Trainer borrows its Network.
//
//   nnstate::Network net(42);
//   net.linear(4, 64).relu().linear(64, 1).loss(NNSTATE_LOSS_MSE).optimizer(nnstate::adam(1e-3));
//   nnstate::Dataset data(x, y, samples);
//   nnstate::Trainer trainer(net, nnstate::trainer_options(/*epochs=*/5, /*batch_size=*/32));
//   trainer.fit(data);
//   trainer.save("run.nnst");
//   nnstate::Checkpoint checkpoint("run.nnst");  // validated; inspect it
//   int64_t epochs = checkpoint.trainer_state().epoch;
//
// The parts: cxx/error.hpp (Error, Handle), cxx/options.hpp (option structs, Metadata),
// cxx/network.hpp, cxx/trainer.hpp (Dataset, Trainer), cxx/checkpoint.hpp, cxx/safetensors.hpp
// (safetensors in and out, partial loads).
#ifndef NNSTATE_NNSTATE_HPP
#define NNSTATE_NNSTATE_HPP

#include "nnstate/cxx/checkpoint.hpp"
#include "nnstate/cxx/error.hpp"
#include "nnstate/cxx/network.hpp"
#include "nnstate/cxx/options.hpp"
#include "nnstate/cxx/safetensors.hpp"
#include "nnstate/cxx/trainer.hpp"

#endif  // NNSTATE_NNSTATE_HPP
