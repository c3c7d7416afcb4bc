#include "layers/conv_gemm.h"

#include <cblas.h>

#include <algorithm>

#include "layers/reduce.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

int blas_int(int64_t v) {
  return static_cast<int>(v);  // Conv2d checks every size against INT_MAX first
}

// bias_sums[oc] += the sum of plane oc of one sample's gradient. Cloned per vector width (same
// bits in each: vector_clones.h); at the baseline's width this took 6% of a CNN step.
NNSTATE_VECTOR_CLONES void add_bias_sums(const float *sample, int64_t out_c, int64_t plane,
                                         double *bias_sums) {
  for (int64_t oc = 0; oc < out_c; ++oc) bias_sums[oc] += sum_of(sample + oc * plane, plane);
}

}  // namespace

void conv_forward_in_place(const ConvGemmShape &s, const float *weight, const float *col,
                           const float *bias, float *out) {
  const int64_t cols = s.cols(), out_c = s.out_channels();
  for (int64_t n = 0; n < s.count; ++n) {
    float *sample = out + n * out_c * s.plane;
    // The GEMM adds onto the bias (beta 1) rather than onto the zeros OpenBLAS would write for
    // beta 0, which a second pass then added the bias to: one pass over the output instead of two.
    if (bias) {
      for (int64_t oc = 0; oc < out_c; ++oc) {
        std::fill(sample + oc * s.plane, sample + (oc + 1) * s.plane, bias[oc]);
      }
    }
    for (int64_t g = 0; g < s.groups; ++g) {
      // out_g[group_out, plane] (+)= W_g[group_out, group_rows] * col_g[group_rows, sample n]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_int(s.group_out),
                  blas_int(s.plane), blas_int(s.group_rows), 1.0f,
                  weight + g * s.group_out * s.group_rows, blas_int(s.group_rows),
                  col + g * s.group_rows * cols + n * s.plane, blas_int(cols), bias ? 1.0f : 0.0f,
                  sample + g * s.group_out * s.plane, blas_int(s.plane));
    }
  }
}

void conv_forward_through_product(const ConvGemmShape &s, const float *weight, const float *col,
                                  const float *bias, float *product, float *out) {
  const int64_t cols = s.cols(), out_c = s.out_channels();
  for (int64_t g = 0; g < s.groups; ++g) {
    // product[group_out, cols] = W_g[group_out, group_rows] * col_g[group_rows, cols]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_int(s.group_out), blas_int(cols),
                blas_int(s.group_rows), 1.0f, weight + g * s.group_out * s.group_rows,
                blas_int(s.group_rows), col + g * s.group_rows * cols, blas_int(cols), 0.0f,
                product + g * s.group_out * cols, blas_int(cols));
  }
  // [out_c, count, plane] -> [count, out_c, plane], adding the bias on the way.
  for (int64_t n = 0; n < s.count; ++n) {
    for (int64_t oc = 0; oc < out_c; ++oc) {
      const float *src = product + oc * cols + n * s.plane;
      float *dst = out + (n * out_c + oc) * s.plane;
      const float b = bias ? bias[oc] : 0.0f;
      for (int64_t i = 0; i < s.plane; ++i) dst[i] = src[i] + b;
    }
  }
}

void conv_weight_grad_in_place(const ConvGemmShape &s, const float *dy, const float *col,
                               bool accumulate, float *weight_grad, double *bias_sums) {
  const int64_t cols = s.cols(), out_c = s.out_channels();
  for (int64_t n = 0; n < s.count; ++n) {
    const float *sample = dy + n * out_c * s.plane;
    if (bias_sums) add_bias_sums(sample, out_c, s.plane, bias_sums);
    const float beta = accumulate || n > 0 ? 1.0f : 0.0f;
    for (int64_t g = 0; g < s.groups; ++g) {
      // dW_g[group_out, group_rows] += dY_g[group_out, plane] * col_g^T[plane, group_rows]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_int(s.group_out),
                  blas_int(s.group_rows), blas_int(s.plane), 1.0f,
                  sample + g * s.group_out * s.plane, blas_int(s.plane),
                  col + g * s.group_rows * cols + n * s.plane, blas_int(cols), beta,
                  weight_grad + g * s.group_out * s.group_rows, blas_int(s.group_rows));
    }
  }
}

void gather_product(const ConvGemmShape &s, const float *dy, float *product) {
  const int64_t cols = s.cols(), out_c = s.out_channels();
  for (int64_t n = 0; n < s.count; ++n) {
    for (int64_t oc = 0; oc < out_c; ++oc) {
      const float *src = dy + (n * out_c + oc) * s.plane;
      std::copy(src, src + s.plane, product + oc * cols + n * s.plane);
    }
  }
}

void conv_weight_grad_from_product(const ConvGemmShape &s, const float *product, const float *col,
                                   bool accumulate, float *weight_grad, double *bias_sums) {
  const int64_t cols = s.cols();
  // The product holds channel oc as one row of cols values.
  if (bias_sums) add_bias_sums(product, s.out_channels(), cols, bias_sums);
  for (int64_t g = 0; g < s.groups; ++g) {
    // dW_g[group_out, group_rows] += dY_g[group_out, cols] * col_g^T[cols, group_rows]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_int(s.group_out),
                blas_int(s.group_rows), blas_int(cols), 1.0f, product + g * s.group_out * cols,
                blas_int(cols), col + g * s.group_rows * cols, blas_int(cols),
                accumulate ? 1.0f : 0.0f, weight_grad + g * s.group_out * s.group_rows,
                blas_int(s.group_rows));
  }
}

void conv_column_grad_from_product(const ConvGemmShape &s, const float *weight,
                                   const float *product, float *col) {
  const int64_t cols = s.cols();
  for (int64_t g = 0; g < s.groups; ++g) {
    // dcol_g[group_rows, cols] = W_g^T[group_rows, group_out] * dY_g[group_out, cols]
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blas_int(s.group_rows), blas_int(cols),
                blas_int(s.group_out), 1.0f, weight + g * s.group_out * s.group_rows,
                blas_int(s.group_rows), product + g * s.group_out * cols, blas_int(cols), 0.0f,
                col + g * s.group_rows * cols, blas_int(cols));
  }
}

// In all three, the batch is the GEMM's row count M and a group's slice of X, dY or dX is a
// column range of a row-major matrix (leading dimension rows or out_c).
void whole_input_forward(const ConvGemmShape &s, const float *weight, const float *input,
                         const float *bias, float *out) {
  const int64_t rows = s.groups * s.group_rows, out_c = s.out_channels();
  for (int64_t g = 0; g < s.groups; ++g) {
    // out_g[count, group_out] = X_g[count, group_rows] * W_g^T[group_rows, group_out]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_int(s.count), blas_int(s.group_out),
                blas_int(s.group_rows), 1.0f, input + g * s.group_rows, blas_int(rows),
                weight + g * s.group_out * s.group_rows, blas_int(s.group_rows), 0.0f,
                out + g * s.group_out, blas_int(out_c));
  }
  if (!bias) return;
  for (int64_t n = 0; n < s.count; ++n) {
    float *sample = out + n * out_c;
    for (int64_t oc = 0; oc < out_c; ++oc) sample[oc] = sample[oc] + bias[oc];
  }
}

void whole_input_weight_grad(const ConvGemmShape &s, const float *dy, const float *input,
                             float *weight_grad, double *bias_sums) {
  const int64_t rows = s.groups * s.group_rows, out_c = s.out_channels();
  for (int64_t g = 0; g < s.groups; ++g) {
    // dW_g[group_out, group_rows] = dY_g^T[group_out, count] * X_g[count, group_rows]
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blas_int(s.group_out),
                blas_int(s.group_rows), blas_int(s.count), 1.0f, dy + g * s.group_out,
                blas_int(out_c), input + g * s.group_rows, blas_int(rows), 0.0f,
                weight_grad + g * s.group_out * s.group_rows, blas_int(s.group_rows));
  }
  if (!bias_sums) return;
  for (int64_t n = 0; n < s.count; ++n) {
    const float *sample = dy + n * out_c;
    for (int64_t oc = 0; oc < out_c; ++oc) bias_sums[oc] += static_cast<double>(sample[oc]);
  }
}

void whole_input_input_grad(const ConvGemmShape &s, const float *weight, const float *dy,
                            float *grad_input) {
  const int64_t rows = s.groups * s.group_rows, out_c = s.out_channels();
  for (int64_t g = 0; g < s.groups; ++g) {
    // dX_g[count, group_rows] = dY_g[count, group_out] * W_g[group_out, group_rows]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_int(s.count),
                blas_int(s.group_rows), blas_int(s.group_out), 1.0f, dy + g * s.group_out,
                blas_int(out_c), weight + g * s.group_out * s.group_rows, blas_int(s.group_rows),
                0.0f, grad_input + g * s.group_rows, blas_int(rows));
  }
}

}  // namespace nnstate
