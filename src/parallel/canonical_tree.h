// The one order in which the parts of a global batch (its chunks) are added up, whatever
// thread or process computed them: a fixed binary tree over the chunk indices 0..n-1. Node
// [k 2^l, (k+1) 2^l) of level l is the sum left + right of its two halves (a half that lies
// past n is absent, and the node is then its left half). Because the order depends only on n,
// 1 or 2 threads (and any split of the chunks into aligned subtrees) give the same bits.
#pragma once

#include <cstdint>

namespace nnstate {

// parts[0][i] = the tree sum over parts[0..n)[i] for i in [begin, end); the other parts'
// ranges are overwritten with partial sums. Element ranges are independent, so threads may
// reduce disjoint ranges at once.
void canonical_tree_sum(float *const *parts, int64_t n, int64_t begin, int64_t end);
// values[0] = the tree sum of values[0..n) (the others overwritten with partial sums), for
// `width` values per part stored at values[k * width + j].
void canonical_tree_sum(double *values, int64_t n, int64_t width);

// Per-channel moments (mean, sum of squared deviations) of n parts of counts[k] values each,
// stored at mean[k * width + c], m2[k * width + c], merged over the same tree (Chan et al.'s
// pairwise update); the result, over all the values, is left in part 0 (counts[0]: their
// number; the other counts are overwritten too).
void canonical_tree_moments(double *mean, double *m2, int64_t *counts, int64_t n, int64_t width);

}  // namespace nnstate
