// The GEMMs of a grouped convolution over one chunk of samples whose im2col columns are lowered
// (col [rows, count * plane], rows = groups * group_rows), in two layouts:
// - in place: one GEMM per sample and group, reading and writing the [count, out_c, plane]
//   output and output gradient where they are. Best for large planes (no copies, and a weight
//   gradient GEMM with K = plane rather than K = count * plane, which OpenBLAS runs faster);
// - through a product buffer [out_c, count * plane]: one GEMM per group over the chunk, with a
//   transposing copy. Best for small planes, where per-sample GEMMs are too small.
#pragma once

#include <cstdint>

namespace nnstate {

struct ConvGemmShape {
  int64_t groups = 1, group_out = 0, group_rows = 0;  // per group: output channels, col rows
  int64_t plane = 0;                                  // output height * width
  int64_t count = 0;                                  // samples in the chunk
  int64_t cols() const { return count * plane; }
  int64_t out_channels() const { return groups * group_out; }
};

// Planes from which the in-place layout is faster (bench/conv_layers on this machine: at 196
// and 784 it was, at 4 and 1 up to 3x slower).
constexpr int64_t kInPlaceMinPlane = 64;

// out[count, out_c, plane] = W * col + bias (bias may be null).
void conv_forward_in_place(const ConvGemmShape &s, const float *weight, const float *col,
                           const float *bias, float *out);
void conv_forward_through_product(const ConvGemmShape &s, const float *weight, const float *col,
                                  const float *bias, float *product, float *out);

// dW (= or += by `accumulate`) the chunk's weight gradient from dy [count, out_c, plane];
// bias_sums[oc] += sum of dy's channel oc, in double, when bias_sums is not null.
void conv_weight_grad_in_place(const ConvGemmShape &s, const float *dy, const float *col,
                               bool accumulate, float *weight_grad, double *bias_sums);

// product[out_c, count * plane] = dy[count, out_c, plane] rearranged.
void gather_product(const ConvGemmShape &s, const float *dy, float *product);
// The same sums from the product layout.
void conv_weight_grad_from_product(const ConvGemmShape &s, const float *product, const float *col,
                                   bool accumulate, float *weight_grad, double *bias_sums);
// col = W^T * product: the column gradient, written over the columns.
void conv_column_grad_from_product(const ConvGemmShape &s, const float *weight,
                                   const float *product, float *col);

// A window that covers each sample's whole input once (a 1x1 output, no padding left after
// trimming: im2col.h): a sample's columns are the sample itself, so col = X^T for the inputs
// X [count, rows] and the layer is Linear's three GEMMs, with no lowering and no transposes.
// `s.plane` is 1. out[count, out_c] = X W^T + bias (bias may be null).
void whole_input_forward(const ConvGemmShape &s, const float *weight, const float *input,
                         const float *bias, float *out);
// dW = dY^T X over the chunk, overwritten; bias_sums[oc] += the sum of dY's column oc.
void whole_input_weight_grad(const ConvGemmShape &s, const float *dy, const float *input,
                             float *weight_grad, double *bias_sums);
// dX[count, rows] = dY W, overwritten.
void whole_input_input_grad(const ConvGemmShape &s, const float *weight, const float *dy,
                            float *grad_input);

}  // namespace nnstate
