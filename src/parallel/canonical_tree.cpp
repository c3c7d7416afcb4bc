#include "parallel/canonical_tree.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

// to[i] = left[i] + right[i]: the tree's node, vectorised (the same bits at any width).
NNSTATE_VECTOR_CLONES void add_parts(const float *left, const float *right, float *to,
                                     int64_t len) {
  for (int64_t i = 0; i < len; ++i) to[i] = left[i] + right[i];
}

// Chan et al.'s update of part a (mean, m2, count) with part b: the one used at every node.
inline void merge_moments(double *ma, double *qa, int64_t &na, const double *mb, const double *qb,
                          int64_t nb, int64_t width) {
  if (nb == 0) return;
  const int64_t total = na + nb;
  const double wb = static_cast<double>(nb) / static_cast<double>(total);
  const double cross = static_cast<double>(na) * wb;  // na nb / (na + nb)
  for (int64_t c = 0; c < width; ++c) {
    const double delta = mb[c] - ma[c];
    ma[c] += delta * wb;
    qa[c] += qb[c] + delta * delta * cross;
  }
  na = total;
}

}  // namespace

// Elements per block of canonical_tree_sum_to.
constexpr int64_t kTreeBlock = 1024;

// Bottom-up over the levels: at stride s, node k (a multiple of 2s) takes the node k + s.
void canonical_tree_sum(float *const *parts, int64_t n, int64_t begin, int64_t end) {
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      float *left = parts[k];
      const float *right = parts[k + stride];
      for (int64_t i = begin; i < end; ++i) left[i] += right[i];
    }
  }
}

// Node j of the level above the chunks is chunk 2j + chunk 2j + 1 (or chunk 2j alone); from
// there the loops are the tree's own, at half the strides, over m = ceil(n / 2) nodes, each a
// block of a scratch area (or, for a lone chunk, the chunk itself), the top node written to out.
void TreeScratch::reserve(int64_t n) {
  const int64_t m = (n + 1) / 2;
  if (sums.size() < static_cast<size_t>(m * kTreeBlock)) sums.resize(m * kTreeBlock);
  if (nodes.size() < static_cast<size_t>(m)) nodes.resize(m);
}

void canonical_tree_sum_to(const float *const *parts, int64_t n, int64_t begin, int64_t end,
                           float *out, TreeScratch &tree_scratch) {
  if (n == 1) {
    std::memcpy(out + begin, parts[0] + begin, static_cast<size_t>(end - begin) * sizeof(float));
    return;
  }
  constexpr int64_t kBlock = kTreeBlock;
  const int64_t m = (n + 1) / 2;
  tree_scratch.reserve(n);
  std::vector<float> &scratch = tree_scratch.sums;
  std::vector<const float *> &nodes = tree_scratch.nodes;
  for (int64_t b = begin; b < end; b += kBlock) {
    const int64_t len = std::min(kBlock, end - b);
    for (int64_t j = 0; j < m; ++j) {
      const float *left = parts[2 * j] + b;
      if (2 * j + 1 == n) {
        nodes[j] = left;
        continue;
      }
      const float *right = parts[2 * j + 1] + b;
      float *to = m == 1 ? out + b : &scratch[j * kBlock];
      add_parts(left, right, to, len);
      nodes[j] = to;
    }
    for (int64_t stride = 1; stride < m; stride *= 2) {
      for (int64_t k = 0; k + stride < m; k += 2 * stride) {
        const float *left = nodes[k], *right = nodes[k + stride];
        float *to = 2 * stride >= m ? out + b : &scratch[k * kBlock];
        add_parts(left, right, to, len);
        nodes[k] = to;
      }
    }
  }
}

void canonical_tree_sum(double *values, int64_t n, int64_t width) {
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      double *left = values + k * width;
      const double *right = values + (k + stride) * width;
      for (int64_t j = 0; j < width; ++j) left[j] += right[j];
    }
  }
}

void canonical_tree_moments(double *mean, double *m2, int64_t *count, int64_t n, int64_t width) {
  // A node's count is kept in its left part's slot, as its mean and m2 are.
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      merge_moments(mean + k * width, m2 + k * width, count[k], mean + (k + stride) * width,
                    m2 + (k + stride) * width, count[k + stride], width);
    }
  }
}

// Greedy from each range's start: the widest node starting there that lies in the range (and
// is not past the tree's end: a node whose right half is absent is its left half).
void TreeCut::reset(int64_t n, const int64_t *starts, int64_t ranges) {
  chunks_ = n;
  roots_.clear();
  merges_.clear();
  first_root_.assign(1, 0);
  root_at_.assign(static_cast<size_t>(n), -1);
  for (int64_t r = 0; r < ranges; ++r) {
    const int64_t end = starts[r + 1];
    for (int64_t a = starts[r]; a < end;) {
      int64_t span = 1;
      while (a % (2 * span) == 0 && a + span < n && std::min(a + 2 * span, n) <= end) span *= 2;
      const int64_t leaves = a + span < n ? span : n - a;
      root_at_[static_cast<size_t>(a)] = static_cast<int64_t>(roots_.size());
      roots_.push_back({a, leaves, span});
      a += leaves;
    }
    first_root_.push_back(static_cast<int64_t>(roots_.size()));
  }
  if (roots_.empty() ? n != 0 : roots_.back().first + roots_.back().leaves != n) {
    fail(NNSTATE_ERR_INTERNAL, "the ranges of a tree cut do not cover its chunks");
  }
  // The tree's own loops, keeping the steps above the roots: at chunk k, a node of width 2s
  // lies inside a root unless a root starts at k with a span below 2s.
  for (int64_t stride = 1; stride < n; stride *= 2) {
    for (int64_t k = 0; k + stride < n; k += 2 * stride) {
      const int64_t into = root_at_[static_cast<size_t>(k)];
      if (into < 0 || roots_[static_cast<size_t>(into)].span >= 2 * stride) continue;
      const int64_t from = root_at_[static_cast<size_t>(k + stride)];
      if (from < 0) fail(NNSTATE_ERR_INTERNAL, "a tree cut's node has no root on its right");
      merges_.push_back({into, from});
    }
  }
}

void canonical_tree_merge(float *const *roots, const std::vector<TreeMerge> &merges, int64_t begin,
                          int64_t end) {
  for (const TreeMerge &m : merges) {
    float *left = roots[m.into];
    const float *right = roots[m.from];
    for (int64_t i = begin; i < end; ++i) left[i] += right[i];
  }
}

void canonical_tree_merge_to(float *const *roots, const std::vector<TreeMerge> &merges,
                             int64_t begin, int64_t end, float *out) {
  if (merges.empty()) {
    std::memcpy(out + begin, roots[0] + begin, static_cast<size_t>(end - begin) * sizeof(float));
    return;
  }
  for (size_t m = 0; m < merges.size(); ++m) {
    const float *left = roots[merges[m].into];
    const float *right = roots[merges[m].from];
    float *to = m + 1 == merges.size() ? out : roots[merges[m].into];  // the last is the top
    add_parts(left + begin, right + begin, to + begin, end - begin);
  }
}

void canonical_tree_merge(double *values, int64_t width, const std::vector<TreeMerge> &merges) {
  for (const TreeMerge &m : merges) {
    double *left = values + m.into * width;
    const double *right = values + m.from * width;
    for (int64_t j = 0; j < width; ++j) left[j] += right[j];
  }
}

void canonical_tree_merge_moments(double *mean, double *m2, int64_t *counts, int64_t width,
                                  const std::vector<TreeMerge> &merges) {
  for (const TreeMerge &m : merges) {
    merge_moments(mean + m.into * width, m2 + m.into * width, counts[m.into], mean + m.from * width,
                  m2 + m.from * width, counts[m.from], width);
  }
}

}  // namespace nnstate
