// The one order in which the parts of a global batch (its chunks) are added up, whatever
// thread or process computed them: a fixed binary tree over the chunk indices 0..n-1. Node
// [k 2^l, (k+1) 2^l) of level l is the sum left + right of its two halves (a half that lies
// past n is absent, and the node is then its left half). Because the order depends only on n,
// 1 or 2 threads (and any split of the chunks into aligned subtrees) give the same bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnstate {

// parts[0][i] = the tree sum over parts[0..n)[i] for i in [begin, end); the other parts'
// ranges are overwritten with partial sums. Element ranges are independent, so threads may
// reduce disjoint ranges at once.
void canonical_tree_sum(float *const *parts, int64_t n, int64_t begin, int64_t end);
// out[i] = the same tree sum (the same bits) for i in [begin, end), leaving the parts as they
// are: a block of elements at a time through all the tree's levels, so that every part is read
// once and the partial sums stay in the cache.
// The workspace it takes: reserve(n) once for n parts (it then allocates nothing); a thread
// uses its own.
struct TreeScratch {
  std::vector<float> sums;
  std::vector<const float *> nodes;
  void reserve(int64_t n);
};
void canonical_tree_sum_to(const float *const *parts, int64_t n, int64_t begin, int64_t end,
                           float *out, TreeScratch &scratch);
// values[0] = the tree sum of values[0..n) (the others overwritten with partial sums), for
// `width` values per part stored at values[k * width + j].
void canonical_tree_sum(double *values, int64_t n, int64_t width);

// Per-channel moments (mean, sum of squared deviations) of n parts of counts[k] values each,
// stored at mean[k * width + c], m2[k * width + c], merged over the same tree (Chan et al.'s
// pairwise update); the result, over all the values, is left in part 0 (counts[0]: their
// number; the other counts are overwritten too).
void canonical_tree_moments(double *mean, double *m2, int64_t *counts, int64_t n, int64_t width);

// A node of the tree as a subtree: [first, first + span), span a power of two and first a
// multiple of it; it holds chunks [first, first + leaves), fewer than span only at the end.
// Its sum is the functions above over those chunks alone (a block starting at a multiple of
// span adds in the same pairs as the whole tree does there).
struct Subtree {
  int64_t first = 0, leaves = 0, span = 0;
};
struct TreeMerge {  // root `into` takes root `from` (indices into TreeCut::roots())
  int64_t into = 0, from = 0;
};

// The tree over n chunks cut at contiguous ranges of chunks (one per rank): each range's
// maximal subtrees (its roots), which a rank sums on its own, and the nodes above all roots as
// merges, in the tree's order. Summing every root, then applying the merges, leaves root 0
// with the bits of the whole tree: what ranks exchange is one part per root, not per chunk.
class TreeCut {
 public:
  // Range r is chunks [starts[r], starts[r + 1]) for r < ranges: starts[0] = 0, nondecreasing,
  // starts[ranges] = n.
  void reset(int64_t n, const int64_t *starts, int64_t ranges);
  int64_t chunks() const { return chunks_; }
  int64_t ranges() const { return static_cast<int64_t>(first_root_.size()) - 1; }
  const std::vector<Subtree> &roots() const { return roots_; }
  // Range r's roots are roots()[first_root(r)], ..., roots()[first_root(r + 1) - 1].
  int64_t first_root(int64_t r) const { return first_root_[static_cast<std::size_t>(r)]; }
  const std::vector<TreeMerge> &merges() const { return merges_; }

 private:
  int64_t chunks_ = -1;
  std::vector<Subtree> roots_;
  std::vector<int64_t> first_root_{0};
  std::vector<TreeMerge> merges_;
  std::vector<int64_t> root_at_;  // per chunk: the root starting there, or -1
};

// The merges over one part per root: roots[into][i] += roots[from][i] for i in [begin, end).
void canonical_tree_merge(float *const *roots, const std::vector<TreeMerge> &merges, int64_t begin,
                          int64_t end);
// The same into out[i] (root 0's sum without a copy: the last merge writes there); the roots'
// parts but root 0's are overwritten with partial sums.
void canonical_tree_merge_to(float *const *roots, const std::vector<TreeMerge> &merges,
                             int64_t begin, int64_t end, float *out);
// The same over `width` values per root at values[j * width + c].
void canonical_tree_merge(double *values, int64_t width, const std::vector<TreeMerge> &merges);
// Moments per root (as canonical_tree_moments) merged into root 0.
void canonical_tree_merge_moments(double *mean, double *m2, int64_t *counts, int64_t width,
                                  const std::vector<TreeMerge> &merges);

}  // namespace nnstate
