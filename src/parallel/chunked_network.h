// Chunked training: the deterministic-across-scale mode. A global batch is cut into chunks of
// a fixed size (independent of the thread count); each chunk runs forward and backward on its
// own replica of the network (sharing the network's parameters and buffers, with its own
// activations and gradients) with single-threaded BLAS, on a thread pool whose idle threads
// block. Everything that sees the whole batch is reduced over the chunks in one canonical
// order (parallel/canonical_tree.h): the weight gradients, the loss and, for BatchNorm, the
// batch statistics of the forward pass and the gradient moments of the backward pass, so
// BatchNorm normalises with the global batch's statistics. Dropout draws at the positions of
// the global sample index (layers/dropout_stream.h). Any thread count gives the same bits.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "layers/graph.h"
#include "losses/loss.h"
#include "parallel/thread_pool.h"
#include "random/rng.h"
#include "tensor/tensor_ref.h"

namespace nnstate {

class BatchNorm;

class ChunkedNetwork {
 public:
  // `network` must outlive this object; `chunk_size` >= 1; `threads` >= 1.
  ChunkedNetwork(Graph &network, int64_t chunk_size, int64_t threads);
  ~ChunkedNetwork();

  int64_t chunk_size() const { return chunk_size_; }
  int64_t threads() const { return pool_.threads(); }

  // The forward pass of `batch` samples (inputs and targets already checked by the caller) in
  // the given mode and the mean loss; with `with_grad`, the chunks keep the loss gradient for
  // backward(). `dropout_rng` ends where one pass over the whole batch would leave it.
  float forward_loss(const float *inputs, const float *targets, int64_t batch, bool training,
                     bool with_grad, const Loss &loss, Rng &dropout_rng, int64_t *correct);
  // Every parameter gradient of the network from the last forward_loss with `with_grad`,
  // scaled by `loss_scale`: each chunk's, summed in the canonical order.
  void backward(float loss_scale);
  // Outputs of `batch` samples in the given mode: batch * sample output size floats.
  void predict(const float *inputs, int64_t batch, bool training, Rng &dropout_rng, float *outputs);

 private:
  struct Replica;
  struct SyncNode;
  struct Piece {  // a range of one parameter's gradient, reduced as one task
    size_t param;
    int64_t begin, end;
  };

  void bind();
  void add_replica();
  void prepare(const float *inputs, int64_t batch, bool training, Rng &dropout_rng);
  void run_forward_to_output(bool training);
  int64_t chunk_samples(int64_t k) const;

  Graph &network_;
  int64_t chunk_size_;
  ThreadPool pool_;
  // The network's tensors as bound: their storage is shared with every replica.
  std::vector<TensorRef> tensors_, params_;
  std::vector<const float *> bound_data_;
  size_t bound_nodes_ = 0;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<SyncNode> syncs_;  // BatchNorm nodes, in node order
  std::vector<Piece> pieces_;
  std::vector<float *> grad_parts_;  // [param * replicas + k]: replica k's gradient
  std::vector<double> loss_sums_;
  // The current pass.
  int64_t batch_ = 0, chunks_ = 0;
  const float *inputs_ = nullptr;
  bool grad_ready_ = false;
};

}  // namespace nnstate
