#include "parallel/chunked_network.h"

#include <algorithm>
#include <cstring>

#include "layers/batch_norm.h"
#include "layers/factory.h"
#include "losses/metrics.h"
#include "parallel/blas_threads.h"
#include "parallel/canonical_tree.h"
#include "train/network_tensors.h"
#include "util/error.h"

namespace nnstate {
namespace {

constexpr int64_t kPieceFloats = 16384;  // gradient elements reduced per task

}  // namespace

struct ChunkedNetwork::Replica {
  Graph graph;
  Rng rng{0, RngStream::dropout};  // its copy of the dropout stream for the current pass
  RunContext context;
  std::vector<BatchNorm *> batch_norms;  // parallel to syncs_
  std::vector<Tensor *> grads;           // parallel to params_
};

// A BatchNorm node: the network's layer (its running statistics are updated once per pass)
// and the per-chunk moments, [k * channels + c], reduced in part 0.
struct ChunkedNetwork::SyncNode {
  size_t node = 0;
  BatchNorm *layer = nullptr;
  int64_t channels = 0;
  bool active = false;  // it used batch statistics in the current pass
  // The pass's statistics are in slot `slot` of mean/m2 and sum/dot (0: the global batch's;
  // per rank: first_, this rank's), over `total` values.
  int64_t slot = 0, total = 0;
  std::vector<double> mean, m2, var, sum, dot;
  std::vector<double> rank0;  // per rank: rank 0's mean, var and count, for the running stats
  std::vector<int64_t> counts;
};

ChunkedNetwork::ChunkedNetwork(Graph &network, int64_t chunk_size, int64_t threads)
    : network_(network), chunk_size_(chunk_size), pool_(threads) {
  if (chunk_size < 1) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "the chunk size must be at least 1, got " + std::to_string(chunk_size));
  }
}

ChunkedNetwork::~ChunkedNetwork() = default;

// (Re)binds to the network as it is now: its tensors' storage, its BatchNorm nodes, no
// replicas yet. Runs again whenever the network's storage or nodes changed.
void ChunkedNetwork::bind() {
  replicas_.clear();
  syncs_.clear();
  pieces_.clear();
  tensors_ = network_tensors(network_);
  params_ = network_parameters(network_);
  bound_data_.clear();
  for (const TensorRef &t : tensors_) bound_data_.push_back(t.value->data());
  bound_nodes_ = network_.size();
  for (size_t i = 0; i < network_.size(); ++i) {
    auto *bn = dynamic_cast<BatchNorm *>(&network_.layer(i));
    if (!bn) continue;
    SyncNode s;
    s.node = i;
    s.layer = bn;
    s.channels = bn->config().as<BatchNormConfig>().num_features;
    syncs_.push_back(std::move(s));
  }
  param_offset_.clear();
  param_floats_ = 0;
  for (size_t p = 0; p < params_.size(); ++p) {
    const int64_t n = params_[p].grad->numel();
    param_offset_.push_back(param_floats_);
    param_floats_ += n;
    for (int64_t b = 0; b < n; b += kPieceFloats) {
      pieces_.push_back({p, b, std::min(n, b + kPieceFloats)});
    }
  }
  chunks_ = 0;
}

void ChunkedNetwork::add_replica() {
  auto r = std::make_unique<Replica>();
  if (network_.sample_input_shape().rank != 0) {
    r->graph.set_sample_input_shape(network_.sample_input_shape());
  }
  for (size_t i = 0; i < network_.size(); ++i) {
    // No initialisation: the parameters are the network's own, borrowed below.
    r->graph.add(make_layer(network_.layer(i).config(), nullptr), network_.inputs(i),
                 network_.name(i));
  }
  std::vector<TensorRef> own = network_tensors(r->graph);
  if (own.size() != tensors_.size()) fail(NNSTATE_ERR_INTERNAL, "a chunk replica's tensors differ");
  for (size_t t = 0; t < own.size(); ++t) {
    if (own[t].name != tensors_[t].name || own[t].value->shape() != tensors_[t].value->shape()) {
      fail(NNSTATE_ERR_INTERNAL, "a chunk replica's tensor " + own[t].name + " differs");
    }
    own[t].value->borrow(tensors_[t].value->data(), tensors_[t].value->shape());
    if (own[t].grad) r->grads.push_back(own[t].grad);
  }
  for (const SyncNode &s : syncs_) {
    r->batch_norms.push_back(dynamic_cast<BatchNorm *>(&r->graph.layer(s.node)));
  }
  replicas_.push_back(std::move(r));
}

// The per-chunk arrays for chunks_ chunks. They only grow, so a pass of a size seen before
// allocates nothing; the pointers into the gradients are set again for every pass.
void ChunkedNetwork::size_chunk_arrays() {
  const size_t n = static_cast<size_t>(chunks_);
  for (SyncNode &s : syncs_) {
    const size_t width = n * static_cast<size_t>(s.channels);
    for (std::vector<double> *v : {&s.mean, &s.m2, &s.sum, &s.dot}) {
      if (v->size() < width) v->resize(width);
    }
    s.var.resize(static_cast<size_t>(s.channels));
    s.rank0.resize(2 * static_cast<size_t>(s.channels) + 1);
    if (s.counts.size() < n) s.counts.resize(n);
  }
  if (loss_sums_.size() < n) loss_sums_.resize(n);
  if (correct_.size() < n) correct_.resize(n);
  if (grad_parts_.size() < params_.size() * n) grad_parts_.resize(params_.size() * n);
  const size_t roots = cut_.roots().size();
  if (collective_) {
    const size_t floats = roots * static_cast<size_t>(param_floats_);
    if (gathered_.size() < floats) gathered_.resize(floats);
    if (root_parts_.size() < params_.size() * roots) root_parts_.resize(params_.size() * roots);
  }
  size_t width = 2;  // the widest root slot of root_values_: loss and correct, or BatchNorm's
  for (const SyncNode &s : syncs_) width = std::max(width, 2 * static_cast<size_t>(s.channels) + 1);
  if (root_values_.size() < roots * width) root_values_.resize(roots * width);
  if (root_mean_.size() < roots * width) root_mean_.resize(roots * width);
  if (root_m2_.size() < roots * width) root_m2_.resize(roots * width);
  if (root_counts_.size() < roots) root_counts_.resize(roots);
  for (size_t p = 0; p < params_.size(); ++p) {
    for (int64_t k = first_; k < last_; ++k) {
      grad_parts_[p * n + static_cast<size_t>(k)] = replica(k).grads[p]->data();
    }
    for (size_t j = 0; collective_ && j < roots; ++j) {
      root_parts_[p * roots + j] = gathered_.data() + j * param_floats_ + param_offset_[p];
    }
  }
  const size_t ranks = collective_ ? static_cast<size_t>(collective_->size()) : 1;
  gather_bytes_.resize(ranks);
  gather_offset_.resize(ranks);
}

int64_t ChunkedNetwork::chunk_samples(int64_t k) const {
  return std::min(chunk_size_, batch_ - k * chunk_size_);
}

int64_t ChunkedNetwork::share(int64_t r) const {
  const int64_t ranks = collective_ ? collective_->size() : 1;
  return (r * chunks_ + ranks - 1) / ranks;
}

template <class F>
void ChunkedNetwork::for_own_chunks(F &&f) {
  pool_.for_each(last_ - first_, [&](int64_t j) { f(first_ + j); });
}

void ChunkedNetwork::gather_chunks(void *base, int64_t slot_bytes) {
  if (!collective_) return;
  const int64_t ranks = collective_->size();
  for (int64_t r = 0; r < ranks; ++r) {
    gather_offset_[r] = share(r) * slot_bytes;
    gather_bytes_[r] = (share(r + 1) - share(r)) * slot_bytes;
  }
  collective_->allgather(base, gather_bytes_.data(), gather_offset_.data());
}

void ChunkedNetwork::gather_roots(void *base, int64_t slot_bytes) {
  if (!collective_) return;
  const int64_t ranks = collective_->size();
  for (int64_t r = 0; r < ranks; ++r) {
    gather_offset_[r] = cut_.first_root(r) * slot_bytes;
    gather_bytes_[r] = (cut_.first_root(r + 1) - cut_.first_root(r)) * slot_bytes;
  }
  collective_->allgather(base, gather_bytes_.data(), gather_offset_.data());
}

void ChunkedNetwork::prepare(const float *inputs, int64_t batch, bool training, Rng &dropout_rng) {
  bool stale = network_.size() != bound_nodes_ || tensors_.empty();
  for (size_t t = 0; !stale && t < tensors_.size(); ++t) {
    stale = tensors_[t].value->data() != bound_data_[t];
  }
  if (stale) bind();
  batch_ = batch;
  const int64_t chunks = (batch + chunk_size_ - 1) / chunk_size_;
  if (collective_ && (collective_->rank() < 0 || collective_->rank() >= collective_->size())) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "rank " + std::to_string(collective_->rank()) +
                                           " of a group of " + std::to_string(collective_->size()));
  }
  chunks_ = chunks;
  first_ = collective_ ? share(collective_->rank()) : 0;
  last_ = collective_ ? share(collective_->rank() + 1) : chunks;
  // Without a collective replica k is chunk k; with one, replicas_[j] is chunk first_ + j. The
  // tree is cut at the ranks' shares (one share without a collective).
  const int64_t needed = collective_ ? last_ - first_ : chunks;
  while (static_cast<int64_t>(replicas_.size()) < needed) add_replica();
  const int64_t ranks = collective_ ? collective_->size() : 1;
  if (cut_.chunks() != chunks || cut_.ranges() != ranks) {
    cut_starts_.resize(static_cast<size_t>(ranks) + 1);
    for (int64_t r = 0; r <= ranks; ++r) cut_starts_[r] = share(r);
    cut_.reset(chunks, cut_starts_.data(), ranks);
  }
  // One tree workspace per pool thread, sized now so that the reduction allocates nothing
  // whichever thread takes which piece.
  tree_scratch_.resize(static_cast<size_t>(pool_.threads()));
  for (TreeScratch &scratch : tree_scratch_) scratch.reserve(chunks);
  size_chunk_arrays();
  inputs_ = inputs;
  grad_ready_ = false;
  const int64_t in = network_.sample_input_size();
  for (int64_t k = first_; k < last_; ++k) {
    Replica &r = replica(k);
    r.rng = dropout_rng;
    r.context.training = training;
    r.context.dropout_rng = &r.rng;
    r.context.chunk_first = k * chunk_size_;
    r.context.global_batch = batch;
    r.graph.begin_forward(inputs + k * chunk_size_ * in, chunk_samples(k));
  }
  for (SyncNode &s : syncs_) s.active = s.layer->uses_batch_stats(training);
}

// Every node but the loss, synchronising the chunks at each BatchNorm that uses batch
// statistics: their moments are merged in the canonical order and every chunk normalises with
// the global batch's (or, per rank, its rank's chunks' statistics: reduce_batch_moments).
void ChunkedNetwork::run_forward_to_output(bool training) {
  const size_t nodes = network_.size();
  size_t pos = 0;
  for (size_t si = 0; si < syncs_.size(); ++si) {
    SyncNode &s = syncs_[si];
    if (!s.active) continue;
    const size_t end = s.node;
    const int64_t width = s.channels;
    for_own_chunks([&](int64_t k) {
      Replica &r = replica(k);
      for (size_t i = pos; i < end; ++i) r.graph.forward_node(i, chunk_samples(k), r.context);
      const Tensor &x = r.graph.node_input(s.node);
      r.batch_norms[si]->chunk_moments(x, &s.mean[k * width], &s.m2[k * width]);
      s.counts[k] = x.numel() / width;
    });
    reduce_batch_moments(s, training);
    const double *mean = s.mean.data() + s.slot * width;  // a rank may have no chunk
    for (int64_t c = 0; c < width; ++c) {
      s.var[c] = s.total ? s.m2[s.slot * width + c] / s.total : 0.0;
    }
    if (training) update_running_stats(s);
    for (int64_t k = first_; k < last_; ++k) {
      replica(k).batch_norms[si]->set_batch_moments(mean, s.var.data());
    }
    pos = end;
  }
  for_own_chunks([&](int64_t k) {
    Replica &r = replica(k);
    for (size_t i = pos; i < nodes; ++i) r.graph.forward_node(i, chunk_samples(k), r.context);
  });
}

// The moments a BatchNorm normalises with, into slot s.slot: the global batch's (this rank's
// roots merged on their own, gathered and merged over the tree above them), or per rank only
// this rank's chunks' (merged over the same tree restricted to them). Every rank checks every
// rank's count, so that all refuse alike.
void ChunkedNetwork::reduce_batch_moments(SyncNode &s, bool training) {
  const int64_t width = s.channels;
  auto check = [&](int64_t total, int64_t rank) {
    if (!training || total > 1) return;
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         std::string(layer_kind_name(s.layer->config().kind())) + " of node " +
             std::to_string(s.node) +
             ": expected more than 1 value per channel when training, got " +
             std::to_string(total) + (rank < 0 ? "" : " on rank " + std::to_string(rank)));
  };
  if (!per_rank_batchnorm()) {
    merge_global_moments(s);
    check(s.counts[0], -1);
    s.total = s.counts[0];
    return;
  }
  gather_chunks(s.counts.data(), sizeof(int64_t));
  for (int64_t r = 0; r < collective_->size(); ++r) {
    int64_t total = 0;
    for (int64_t k = share(r); k < share(r + 1); ++k) total += s.counts[k];
    if (share(r) < share(r + 1)) check(total, r);
  }
  s.slot = first_;
  if (first_ < last_) {
    canonical_tree_moments(&s.mean[first_ * width], &s.m2[first_ * width], &s.counts[first_],
                           last_ - first_, width);
  }
  s.total = first_ < last_ ? s.counts[s.slot] : 0;
}

// The global batch's moments into slot 0: each of this rank's roots merged over its chunks,
// every rank's roots gathered (mean, m2 and count packed per root) and merged above them.
void ChunkedNetwork::merge_global_moments(SyncNode &s) {
  const int64_t width = s.channels;
  s.slot = 0;
  const std::vector<Subtree> &roots = cut_.roots();
  for (int64_t j = own_roots_begin(); j < own_roots_end(); ++j) {
    const Subtree &t = roots[j];
    canonical_tree_moments(&s.mean[t.first * width], &s.m2[t.first * width], &s.counts[t.first],
                           t.leaves, width);
  }
  if (!collective_) return;  // one root, over every chunk: its sum is in slot 0 already
  const int64_t slot = 2 * width + 1;
  for (int64_t j = own_roots_begin(); j < own_roots_end(); ++j) {
    const int64_t k = roots[j].first;
    double *packed = &root_values_[j * slot];
    std::copy_n(&s.mean[k * width], width, packed);
    std::copy_n(&s.m2[k * width], width, packed + width);
    packed[2 * width] = static_cast<double>(s.counts[k]);  // exact: far below 2^53
  }
  gather_roots(root_values_.data(), slot * static_cast<int64_t>(sizeof(double)));
  for (size_t j = 0; j < roots.size(); ++j) {
    const double *packed = &root_values_[j * slot];
    std::copy_n(packed, width, &root_mean_[j * width]);
    std::copy_n(packed + width, width, &root_m2_[j * width]);
    root_counts_[j] = static_cast<int64_t>(packed[2 * width]);
  }
  canonical_tree_merge_moments(root_mean_.data(), root_m2_.data(), root_counts_.data(), width,
                               cut_.merges());
  std::copy_n(root_mean_.begin(), width, s.mean.begin());
  std::copy_n(root_m2_.begin(), width, s.m2.begin());
  s.counts[0] = root_counts_[0];
}

// Per rank, the ranks' running statistics would drift apart: every rank updates them with
// rank 0's batch statistics instead, as DDP's broadcast_buffers keeps rank 0's buffers on every
// rank, so all ranks hold the same state (the one rank 0 checkpoints).
void ChunkedNetwork::update_running_stats(SyncNode &s) {
  if (!per_rank_batchnorm()) {
    s.layer->update_running_stats(&s.mean[s.slot * s.channels], s.var.data(), s.total);
    return;
  }
  const size_t width = static_cast<size_t>(s.channels);
  if (collective_->rank() == 0) {
    std::copy_n(&s.mean[s.slot * s.channels], width, s.rank0.begin());
    std::copy_n(s.var.begin(), width, s.rank0.begin() + static_cast<std::ptrdiff_t>(width));
    s.rank0[2 * width] = static_cast<double>(s.total);  // exact: far below 2^53
  }
  collective_->broadcast(s.rank0.data(), static_cast<int64_t>(s.rank0.size() * sizeof(double)), 0);
  s.layer->update_running_stats(s.rank0.data(), s.rank0.data() + width,
                                static_cast<int64_t>(s.rank0[2 * width]));
}

// Every chunk's copy of the dropout stream ends where one pass over the whole batch leaves it;
// rank 0 always has a chunk (share(1) >= 1), so it tells the ranks that may have none.
void ChunkedNetwork::finish_pass(Rng &dropout_rng) {
  RngState state = first_ < last_ ? replica(first_).rng.state() : dropout_rng.state();
  if (collective_) collective_->broadcast(&state, sizeof state, 0);
  dropout_rng = Rng(state);
}

float ChunkedNetwork::forward_loss(const float *inputs, const float *targets, int64_t batch,
                                   bool training, bool with_grad, const Loss &loss,
                                   Rng &dropout_rng, int64_t *correct) {
  BlasThreadsScope single(1);
  prepare(inputs, batch, training, dropout_rng);
  run_forward_to_output(training);
  const Shape sample_out = network_.sample_output_shape();
  const int64_t per_sample_targets = loss.target_count(sample_out.batched(1));
  const int64_t denominator = loss.mean_denominator(sample_out.batched(batch));
  for_own_chunks([&](int64_t k) {
    Replica &r = replica(k);
    const float *t = targets + k * chunk_size_ * per_sample_targets;
    const Tensor &out = r.graph.output();
    Tensor *grad = with_grad ? &r.graph.output_grad() : nullptr;
    loss_sums_[k] = loss.compute_sum(out, t, grad, denominator);
    correct_[k] = correct ? count_correct(loss.kind(), out, t) : 0;
  });
  // Per root: its loss sum and its correct count (exact as a double), merged together.
  const std::vector<Subtree> &roots = cut_.roots();
  for (int64_t j = own_roots_begin(); j < own_roots_end(); ++j) {
    const Subtree &t = roots[j];
    canonical_tree_sum(&loss_sums_[t.first], t.leaves, 1);
    int64_t right = 0;
    for (int64_t k = t.first; k < t.first + t.leaves; ++k) right += correct_[k];
    root_values_[2 * j] = loss_sums_[t.first];
    root_values_[2 * j + 1] = static_cast<double>(right);
  }
  gather_roots(root_values_.data(), 2 * sizeof(double));
  canonical_tree_merge(root_values_.data(), 2, cut_.merges());
  if (correct) *correct = static_cast<int64_t>(root_values_[1]);
  finish_pass(dropout_rng);
  grad_ready_ = with_grad;
  return static_cast<float>(root_values_[0] / static_cast<double>(denominator));
}

void ChunkedNetwork::predict(const float *inputs, int64_t batch, bool training, Rng &dropout_rng,
                             float *outputs) {
  BlasThreadsScope single(1);
  prepare(inputs, batch, training, dropout_rng);
  run_forward_to_output(training);
  const int64_t out = network_.sample_output_size();
  for_own_chunks([&](int64_t k) {
    const Tensor &o = replica(k).graph.output();
    std::memcpy(outputs + k * chunk_size_ * out, o.data(), o.byte_size());
  });
  if (collective_) {
    // Rows, not slots: the last chunk may be shorter than the others.
    const int64_t row = out * static_cast<int64_t>(sizeof(float));
    for (int64_t r = 0; r < collective_->size(); ++r) {
      const int64_t begin = std::min(batch, share(r) * chunk_size_);
      const int64_t end = std::min(batch, share(r + 1) * chunk_size_);
      gather_offset_[r] = begin * row;
      gather_bytes_[r] = (end - begin) * row;
    }
    collective_->allgather(outputs, gather_bytes_.data(), gather_offset_.data());
  }
  finish_pass(dropout_rng);
}

void ChunkedNetwork::backward(float loss_scale) {
  if (!grad_ready_) fail(NNSTATE_ERR_STATE, "backward needs a training forward pass first");
  grad_ready_ = false;
  BlasThreadsScope single(1);
  size_t top = network_.size();  // nodes [0, top) are still to run backwards
  bool first = true;
  auto start = [&](Replica &r) {
    if (loss_scale != 1.0f) {
      Tensor &g = r.graph.output_grad();
      float *d = g.data();
      for (int64_t i = 0; i < g.numel(); ++i) d[i] *= loss_scale;
    }
    r.graph.begin_backward();
  };
  for (size_t si = syncs_.size(); si-- > 0;) {
    SyncNode &s = syncs_[si];
    if (!s.active) continue;
    const int64_t width = s.channels;
    for_own_chunks([&](int64_t k) {
      Replica &r = replica(k);
      if (first) start(r);
      for (size_t i = top; i-- > s.node + 1;) r.graph.backward_node(i);
      r.batch_norms[si]->chunk_grad_moments(r.graph.node_input(s.node),
                                            r.graph.node_output_grad(s.node), &s.sum[k * width],
                                            &s.dot[k * width]);
    });
    first = false;
    if (per_rank_batchnorm()) {
      // This rank's chunks only, as their forward pass normalised with their own statistics.
      if (first_ < last_) {
        canonical_tree_sum(&s.sum[first_ * width], last_ - first_, width);
        canonical_tree_sum(&s.dot[first_ * width], last_ - first_, width);
      }
    } else {
      merge_global_grad_moments(s);
    }
    for (int64_t k = first_; k < last_; ++k) {
      replica(k).batch_norms[si]->set_batch_grad_moments(&s.sum[s.slot * width],
                                                         &s.dot[s.slot * width], s.total);
    }
    top = s.node + 1;
  }
  for_own_chunks([&](int64_t k) {
    Replica &r = replica(k);
    if (first) start(r);
    for (size_t i = top; i-- > 0;) r.graph.backward_node(i);
  });
  reduce_gradients();
}

// BatchNorm's gradient moments of the global batch into slot 0: this rank's roots summed over
// their chunks, every rank's gathered (sum and dot packed per root) and merged above them.
void ChunkedNetwork::merge_global_grad_moments(SyncNode &s) {
  const int64_t width = s.channels;
  const std::vector<Subtree> &roots = cut_.roots();
  for (int64_t j = own_roots_begin(); j < own_roots_end(); ++j) {
    const Subtree &t = roots[j];
    canonical_tree_sum(&s.sum[t.first * width], t.leaves, width);
    canonical_tree_sum(&s.dot[t.first * width], t.leaves, width);
  }
  if (!collective_) return;  // one root: slot 0 holds the sums already
  const int64_t slot = 2 * width;
  for (int64_t j = own_roots_begin(); j < own_roots_end(); ++j) {
    const int64_t k = roots[j].first;
    std::copy_n(&s.sum[k * width], width, &root_values_[j * slot]);
    std::copy_n(&s.dot[k * width], width, &root_values_[j * slot + width]);
  }
  gather_roots(root_values_.data(), slot * static_cast<int64_t>(sizeof(double)));
  canonical_tree_merge(root_values_.data(), slot, cut_.merges());
  std::copy_n(root_values_.begin(), width, s.sum.begin());
  std::copy_n(root_values_.begin() + width, width, s.dot.begin());
}

// Each gradient element is the canonical tree sum of the chunks' elements: ranges of elements
// are independent, so they are split over the threads. Each of this rank's roots is summed
// over its chunks; with a collective, the roots' sums are gathered and merged above them.
void ChunkedNetwork::reduce_gradients() {
  const size_t n = static_cast<size_t>(chunks_);
  const std::vector<Subtree> &roots = cut_.roots();
  const int64_t own_begin = own_roots_begin(), own_end = own_roots_end();
  pool_.for_each(static_cast<int64_t>(pieces_.size()), [&](int64_t p) {
    const Piece &piece = pieces_[p];
    for (int64_t j = own_begin; j < own_end; ++j) {
      float *const *parts = &grad_parts_[piece.param * n + static_cast<size_t>(roots[j].first)];
      float *to = collective_ ? gathered_.data() + j * param_floats_ + param_offset_[piece.param]
                              : params_[piece.param].grad->data();  // one root: the whole tree
      canonical_tree_sum_to(parts, roots[j].leaves, piece.begin, piece.end, to,
                            tree_scratch_[static_cast<size_t>(ThreadPool::worker())]);
    }
  });
  if (!collective_) return;
  gather_roots(gathered_.data(), param_floats_ * static_cast<int64_t>(sizeof(float)));
  const size_t count = roots.size();
  pool_.for_each(static_cast<int64_t>(pieces_.size()), [&](int64_t p) {
    const Piece &piece = pieces_[p];
    canonical_tree_merge_to(&root_parts_[piece.param * count], cut_.merges(), piece.begin,
                            piece.end, params_[piece.param].grad->data());
  });
}

}  // namespace nnstate
