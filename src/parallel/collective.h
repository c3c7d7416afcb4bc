// How the processes of a data-parallel run share each pass's per-chunk results. Every process
// (rank) holds a replica of the model and runs the same training loop on the same global
// batches; in each pass over a batch a rank computes only its share of the chunks
// (parallel/chunked_network.h), reduces the subtrees of the canonical tree in its share, and
// the ranks then gather those results, so that each reduces the rest of the tree in the same
// canonical order and ends with the same bits as one process.
// The transport is the caller's (the MPI component, mpi/): the core has no MPI dependency.
#pragma once

#include <cstdint>

namespace nnstate {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;
  // In place: `buffer` holds size() blocks, block r of bytes[r] bytes at offset[r]; this rank's
  // block is filled, and on return every block is. Throws Error on a failure.
  virtual void allgather(void *buffer, const int64_t *bytes, const int64_t *offset) = 0;
  // `bytes` bytes of `buffer` from rank `root` to every rank.
  virtual void broadcast(void *buffer, int64_t bytes, int64_t root) = 0;
};

}  // namespace nnstate
