#include "layers/max_pool_2x2.h"

#include <cstring>

#include "util/vector_clones.h"

namespace nnstate {
namespace {

// Lanes of several windows at once as GCC/Clang vector types: the compiler vectorised the plain
// loop only for rows of at least 16 windows, and rows here are 7 to 14. Compares and selects
// are exact, so the lanes give the scalar loop's bits.
template <int kLanes>
struct Windows {
  typedef float Floats __attribute__((vector_size(kLanes * sizeof(float))));
  typedef int32_t Ints __attribute__((vector_size(kLanes * sizeof(int32_t))));
};

// The helpers below are inlined into each target clone of their callers, so they run at its
// vector width (out of line, they would be built for the baseline only).
#define NNSTATE_LANES_INLINE inline __attribute__((always_inline))
#define NNSTATE_LANES_LAMBDA __attribute__((always_inline))

// Even and odd elements of 2 * kLanes consecutive floats.
NNSTATE_LANES_INLINE void deinterleave(const float *p, Windows<8>::Floats &even,
                                       Windows<8>::Floats &odd) {
  Windows<8>::Floats lo, hi;
  std::memcpy(&lo, p, sizeof lo);
  std::memcpy(&hi, p + 8, sizeof hi);
  even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
  odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
}

NNSTATE_LANES_INLINE void deinterleave(const float *p, Windows<4>::Floats &even,
                                       Windows<4>::Floats &odd) {
  Windows<4>::Floats lo, hi;
  std::memcpy(&lo, p, sizeof lo);
  std::memcpy(&hi, p + 4, sizeof hi);
  even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6);
  odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7);
}

// kLanes windows starting at output column x. A tap wins where (v > best) | (v != v).
// 2 * kLanes consecutive floats from the even and odd elements given.
NNSTATE_LANES_INLINE void interleave(const Windows<8>::Floats &even, const Windows<8>::Floats &odd,
                                     float *p) {
  const Windows<8>::Floats lo = __builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
  const Windows<8>::Floats hi = __builtin_shufflevector(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
  std::memcpy(p, &lo, sizeof lo);
  std::memcpy(p + 8, &hi, sizeof hi);
}

NNSTATE_LANES_INLINE void interleave(const Windows<4>::Floats &even, const Windows<4>::Floats &odd,
                                     float *p) {
  const Windows<4>::Floats lo = __builtin_shufflevector(even, odd, 0, 4, 1, 5);
  const Windows<4>::Floats hi = __builtin_shufflevector(even, odd, 2, 6, 3, 7);
  std::memcpy(p, &lo, sizeof lo);
  std::memcpy(p + 4, &hi, sizeof hi);
}

template <int kLanes>
NNSTATE_LANES_INLINE void pool_windows(const float *row0, const float *row1, int32_t row0_index,
                                       int32_t width, int64_t x, float *best, int32_t *arg) {
  typedef typename Windows<kLanes>::Floats Floats;
  typedef typename Windows<kLanes>::Ints Ints;
  Floats v00, v01, v10, v11;
  deinterleave(row0 + 2 * x, v00, v01);
  deinterleave(row1 + 2 * x, v10, v11);
  Ints index;
  for (int l = 0; l < kLanes; ++l) index[l] = row0_index + static_cast<int32_t>(2 * (x + l));
  Floats b = v00;
  Ints a = index;
  const Floats taps[3] = {v01, v10, v11};
  const int32_t offsets[3] = {1, width, width + 1};
  for (int t = 0; t < 3; ++t) {
    const Floats v = taps[t];
    const Ints wins = (v > b) | (v != v);
    b = (Floats)((wins & (Ints)v) | (~wins & (Ints)b));
    a = (wins & (index + offsets[t])) | (~wins & a);
  }
  std::memcpy(best + x, &b, sizeof b);
  std::memcpy(arg + x, &a, sizeof a);
}

// The scalar rule, for rows shorter than 4 windows.
NNSTATE_LANES_INLINE void pool_window(const float *row0, const float *row1, int32_t row0_index,
                                      int32_t width, int64_t x, float *best, int32_t *arg) {
  const int32_t i00 = row0_index + static_cast<int32_t>(2 * x);
  const float taps[3] = {row0[2 * x + 1], row1[2 * x], row1[2 * x + 1]};
  const int32_t offsets[3] = {1, width, width + 1};
  float b = row0[2 * x];
  int32_t a = i00;
  for (int t = 0; t < 3; ++t) {
    const bool wins = (taps[t] > b) | (taps[t] != taps[t]);
    b = wins ? taps[t] : b;
    a = wins ? i00 + offsets[t] : a;
  }
  best[x] = b;
  arg[x] = a;
}

// block(x) for blocks of kLanes windows from x = 0; a last block that would pass the row's end
// is moved back to end there, recomputing a few windows with the same result.
template <int kLanes, class Block>
NNSTATE_LANES_INLINE void row_blocks(int64_t ow, const Block &block) {
  for (int64_t x = 0;; x += kLanes) {
    const int64_t at = x + kLanes <= ow ? x : ow - kLanes;
    block(at);
    if (at + kLanes >= ow) return;
  }
}

// The gradient of kLanes windows starting at output column x of output row y: each tap gets
// 0 + dy where arg names it, else 0.
template <int kLanes>
NNSTATE_LANES_INLINE void unpool_windows(const float *dy, const int32_t *arg, int32_t row0,
                                         int32_t width, int64_t x, float *top, float *bottom) {
  typedef typename Windows<kLanes>::Floats Floats;
  typedef typename Windows<kLanes>::Ints Ints;
  Floats g;
  Ints at;
  std::memcpy(&g, dy + x, sizeof g);
  std::memcpy(&at, arg + x, sizeof at);
  g = g + 0.0f;
  for (int l = 0; l < kLanes; ++l) at[l] -= row0 + static_cast<int32_t>(2 * (x + l));
  const Ints bits = (Ints)g;
  const Floats t0 = (Floats)((at == 0) & bits), t1 = (Floats)((at == 1) & bits);
  const Floats b0 = (Floats)((at == width) & bits), b1 = (Floats)((at == width + 1) & bits);
  interleave(t0, t1, top + 2 * x);
  interleave(b0, b1, bottom + 2 * x);
}

#undef NNSTATE_LANES_INLINE

}  // namespace

NNSTATE_VECTOR_CLONES void pool_2x2_row(const float *row0, const float *row1, int32_t row0_index,
                                        int32_t width, int64_t ow, float *best, int32_t *arg) {
  if (ow >= 8) {
    row_blocks<8>(ow, [&](int64_t x) NNSTATE_LANES_LAMBDA {
      pool_windows<8>(row0, row1, row0_index, width, x, best, arg);
    });
  } else if (ow >= 4) {
    row_blocks<4>(ow, [&](int64_t x) NNSTATE_LANES_LAMBDA {
      pool_windows<4>(row0, row1, row0_index, width, x, best, arg);
    });
  } else {
    for (int64_t x = 0; x < ow; ++x) pool_window(row0, row1, row0_index, width, x, best, arg);
  }
}

NNSTATE_VECTOR_CLONES void unpool_2x2_plane(const float *dy, const int32_t *arg, int64_t h,
                                            int64_t w, float *dx) {
  const int64_t ow = w / 2;
  for (int64_t y = 0; y < h / 2; ++y) {
    float *top = dx + 2 * y * w, *bottom = top + w;
    const int32_t row0 = static_cast<int32_t>(2 * y * w), width = static_cast<int32_t>(w);
    if (ow >= 8) {
      row_blocks<8>(ow, [&](int64_t x) NNSTATE_LANES_LAMBDA {
        unpool_windows<8>(dy + y * ow, arg + y * ow, row0, width, x, top, bottom);
      });
      continue;
    }
    if (ow >= 4) {
      row_blocks<4>(ow, [&](int64_t x) NNSTATE_LANES_LAMBDA {
        unpool_windows<4>(dy + y * ow, arg + y * ow, row0, width, x, top, bottom);
      });
      continue;
    }
    for (int64_t x = 0; x < ow; ++x) {
      const float g = 0.0f + dy[y * ow + x];
      const int32_t at = arg[y * ow + x] - row0 - static_cast<int32_t>(2 * x);
      top[2 * x] = at == 0 ? g : 0.0f;
      top[2 * x + 1] = at == 1 ? g : 0.0f;
      bottom[2 * x] = at == width ? g : 0.0f;
      bottom[2 * x + 1] = at == width + 1 ? g : 0.0f;
    }
  }
}

#undef NNSTATE_LANES_LAMBDA

}  // namespace nnstate
