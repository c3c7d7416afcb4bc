// Chunked training: the deterministic-across-scale mode. A global batch is cut into chunks of
// a fixed size (independent of the thread count); each chunk runs forward and backward on its
// own replica of the network (sharing the network's parameters and buffers, with its own
// activations and gradients) with single-threaded BLAS, on a thread pool whose idle threads
// block. Everything that sees the whole batch is reduced over the chunks in one canonical
// order (parallel/canonical_tree.h): the weight gradients, the loss and, for BatchNorm, the
// batch statistics of the forward pass and the gradient moments of the backward pass, so
// BatchNorm normalises with the global batch's statistics. Dropout draws at the positions of
// the global sample index (layers/dropout_stream.h). Any thread count gives the same bits.
//
// With a Collective (parallel/collective.h) of R processes, each computes only its share of
// the chunks (contiguous: rank r takes chunks [ceil(r n / R), ceil((r + 1) n / R))). Each rank
// first sums the maximal subtrees of the canonical tree that lie in its share (TreeCut), and
// the ranks gather only those subtrees' sums, from which every rank reduces the tree's upper
// part: all ranks add in the canonical order and hold the bits one process would, and a rank
// sends one gradient per subtree (one, for a power-of-two split), not one per chunk.
//
// BatchNorm over ranks: synchronised (the global batch's statistics, as above and as PyTorch's
// SyncBatchNorm), or per rank (the default, PyTorch DDP's): each rank normalises its chunks
// with the statistics of its own chunks only (merged over the canonical tree restricted to
// them) and its backward uses their gradient moments; the weight gradients are still every
// chunk's, so all ranks keep the same weights. The running statistics are updated on every
// rank with rank 0's batch statistics (DDP's broadcast_buffers: rank 0's buffers everywhere).
// Per rank, the results depend on the rank count (as in DDP); only synchronised gives the same
// bits at any scale. With one process (no collective, or a group of one) both are the same.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "layers/graph.h"
#include "losses/loss.h"
#include "parallel/canonical_tree.h"
#include "parallel/collective.h"
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
  // The processes sharing each pass's chunks (null: this one computes them all); it must
  // outlive its use here.
  void set_collective(Collective *collective) { collective_ = collective; }
  // BatchNorm statistics over the whole global batch (true) or per rank (false, the default);
  // see above. Only matters with a collective of more than one rank.
  void set_batchnorm_synchronised(bool synchronised) { batchnorm_synchronised_ = synchronised; }
  bool batchnorm_synchronised() const { return batchnorm_synchronised_; }

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
  void size_chunk_arrays();
  void prepare(const float *inputs, int64_t batch, bool training, Rng &dropout_rng);
  void run_forward_to_output(bool training);
  void finish_pass(Rng &dropout_rng);
  bool per_rank_batchnorm() const {
    return !batchnorm_synchronised_ && collective_ && collective_->size() > 1;
  }
  void reduce_batch_moments(SyncNode &s, bool training);
  void merge_global_moments(SyncNode &s);
  void merge_global_grad_moments(SyncNode &s);
  void update_running_stats(SyncNode &s);
  void reduce_gradients();
  int64_t chunk_samples(int64_t k) const;
  Replica &replica(int64_t k) { return *replicas_[collective_ ? k - first_ : k]; }
  // The first chunk of rank r's share (r = ranks: the number of chunks).
  int64_t share(int64_t r) const;
  // Runs f(k) for this rank's chunks k, on the pool.
  template <class F>
  void for_own_chunks(F &&f);
  // Completes `base`, an array of one slot of `slot_bytes` per chunk in which this rank's
  // chunks are filled, with every other rank's (nothing without a collective).
  void gather_chunks(void *base, int64_t slot_bytes);
  // The same with one slot per root of cut_ (this rank's: its roots' sums).
  void gather_roots(void *base, int64_t slot_bytes);
  int64_t own_rank() const { return collective_ ? collective_->rank() : 0; }
  // This rank's roots in cut_: [own_roots_begin(), own_roots_end()).
  int64_t own_roots_begin() const { return cut_.first_root(own_rank()); }
  int64_t own_roots_end() const { return cut_.first_root(own_rank() + 1); }

  Graph &network_;
  int64_t chunk_size_;
  ThreadPool pool_;
  // The network's tensors as bound: their storage is shared with every replica.
  std::vector<TensorRef> tensors_, params_;
  std::vector<const float *> bound_data_;
  size_t bound_nodes_ = 0;
  Collective *collective_ = nullptr;
  bool batchnorm_synchronised_ = false;
  std::vector<std::unique_ptr<Replica>> replicas_;  // [k - first_]: this rank's chunk k
  std::vector<SyncNode> syncs_;                     // BatchNorm nodes, in node order
  std::vector<Piece> pieces_;
  std::vector<TreeScratch> tree_scratch_;  // per pool thread (ThreadPool::worker())
  // [param * chunks + k]: this rank's chunk k's gradient (its replica's own).
  std::vector<float *> grad_parts_;
  // The tree cut at the ranks' shares (one range without a collective), for chunks_ chunks.
  TreeCut cut_;
  std::vector<int64_t> cut_starts_;
  std::vector<float> gathered_;      // with a collective: [root * param_floats_ + offset]
  std::vector<float *> root_parts_;  // [param * roots + root]: its slot in gathered_
  // Per root: packed values to gather (loss and BatchNorm), and the moments unpacked.
  std::vector<double> root_values_, root_mean_, root_m2_;
  std::vector<int64_t> root_counts_;
  std::vector<int64_t> param_offset_;  // each parameter's offset in a chunk's slot
  int64_t param_floats_ = 0;
  std::vector<double> loss_sums_;                      // [k]
  std::vector<int64_t> correct_;                       // [k]
  std::vector<int64_t> gather_bytes_, gather_offset_;  // per rank
  // The current pass.
  int64_t batch_ = 0, chunks_ = 0, first_ = 0, last_ = 0;  // this rank: chunks [first_, last_)
  const float *inputs_ = nullptr;
  bool grad_ready_ = false;
};

}  // namespace nnstate
