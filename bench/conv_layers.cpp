// Each conv layer of the CNN and ResNet benches, timed phase by phase (forward, weight gradient,
// input gradient) beside the sgemm calls those phases reduce to, run alone over the whole batch
// in the same process: the fraction "GEMM alone / layer" says how much of a phase is overhead
// (im2col, col2im, the layout transposes, the bias).
//
// Usage: conv_layers [repeats (default 20) [im2col floats per chunk (default: the layer's)]];
// OPENBLAS_NUM_THREADS and OPENBLAS_CORETYPE apply (with N > 1 threads the layer splits the
// batch over N threads of its own; the GEMMs alone use OpenBLAS's threads). Each figure is the
// best wall time of `repeats` runs, which filters out a loaded machine's stalls; set
// CONV_LAYERS_CLOCK=cpu for process CPU time instead (work done, spinning threads included), and
// CONV_LAYERS_ONLY=text to run only the layers whose names contain it.
#include <cblas.h>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "layers/conv2d.h"
#include "layers/layer_config.h"
#include "random/rng.h"

namespace {

struct ConvCase {
  const char *name;
  int64_t in_c, out_c, kernel, stride, padding, hw;  // square input hw x hw
};

clockid_t bench_clock = CLOCK_MONOTONIC;

double now_seconds() {
  timespec ts;
  clock_gettime(bench_clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best CPU time of `repeats` calls of `run`, each after an untimed `setup`, after one warm-up.
double best_of(int repeats, const std::function<void()> &setup, const std::function<void()> &run) {
  setup();
  run();
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    setup();
    const double t0 = now_seconds();
    run();
    best = std::min(best, now_seconds() - t0);
  }
  return best;
}

void fill(nnstate::Tensor &t, nnstate::Rng &rng) {
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = rng.uniform(-1.0f, 1.0f);
}

void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, const float *b,
           float *c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
              static_cast<int>(ta ? m : k), b, static_cast<int>(tb ? k : n), 0.0f, c,
              static_cast<int>(n));
}

void run_case(const ConvCase &cc, int64_t batch, int repeats, int64_t column_budget) {
  nnstate::Rng rng(42, nnstate::RngStream::init);
  nnstate::LayerConfig config(nnstate::LayerKind::conv2d);
  auto &o = config.as<nnstate::Conv2dConfig>();
  o.in_channels = cc.in_c;
  o.out_channels = cc.out_c;
  o.kernel_size = {cc.kernel, cc.kernel};
  o.stride = {cc.stride, cc.stride};
  o.padding = {cc.padding, cc.padding};
  nnstate::Conv2d conv(o, &rng);
  if (column_budget > 0) conv.set_column_budget(column_budget);
  nnstate::Tensor x(nnstate::Shape{batch, cc.in_c, cc.hw, cc.hw});
  fill(x, rng);
  const nnstate::Shape out_shape = conv.output_shape(x.shape());
  nnstate::Tensor y(out_shape), dy(out_shape), dx(x.shape());
  fill(dy, rng);
  const nnstate::RunContext training{true, nullptr};

  const auto nothing = [] {};
  const auto forward_pass = [&] { conv.forward(x, y, training); };
  const double forward = best_of(repeats, nothing, forward_pass);
  // backward() uses the columns of the last forward, so an untimed forward precedes each.
  const double wgrad = best_of(repeats, forward_pass, [&] { conv.backward(x, y, dy, nullptr); });
  const double both = best_of(repeats, forward_pass, [&] { conv.backward(x, y, dy, &dx); });

  // The same products alone: W[out_c, K] * col[K, N]; dY[out_c, N] * col^T; W^T * dY. K counts
  // the taps the layer lowers: those that read only padding are left out (im2col.h).
  const nnstate::WindowGeometry g =
      nnstate::window_geometry(x.shape(), o.kernel_size, o.stride, o.padding, o.dilation);
  const nnstate::TapRectangle taps = nnstate::active_taps(g);
  const int64_t lowered_taps = nnstate::trims_taps(g, taps) ? taps.taps() : cc.kernel * cc.kernel;
  const int64_t k = cc.in_c * lowered_taps, n = batch * out_shape[2] * out_shape[3];
  std::vector<float> w(static_cast<size_t>(cc.out_c * k), 0.01f),
      col(static_cast<size_t>(k * n), 0.5f), prod(static_cast<size_t>(cc.out_c * n), 0.25f),
      wg(w.size());
  const double g_fwd = best_of(repeats, nothing, [&] {
    sgemm(false, false, cc.out_c, n, k, w.data(), col.data(), prod.data());
  });
  const double g_wgrad = best_of(repeats, nothing, [&] {
    sgemm(false, true, cc.out_c, k, n, prod.data(), col.data(), wg.data());
  });
  const double g_dgrad = best_of(repeats, nothing, [&] {
    sgemm(true, false, k, n, cc.out_c, w.data(), prod.data(), col.data());
  });
  const double gflop =
      2.0 * static_cast<double>(cc.out_c) * static_cast<double>(k) * static_cast<double>(n) * 1e-9;
  // The input gradient shares backward() with the weight gradient: it is the difference.
  std::printf("%-26s %4lld %6lld %4lld | %7.3f %7.3f %7.3f | %5.2f %5.2f %5.2f %5.2f | %5.1f\n",
              cc.name, static_cast<long long>(cc.out_c), static_cast<long long>(n),
              static_cast<long long>(k), forward * 1e3, wgrad * 1e3, both * 1e3, g_fwd / forward,
              g_wgrad / wgrad, g_dgrad / std::max(both - wgrad, 1e-9), (g_wgrad + g_dgrad) / both,
              gflop / g_fwd);
}

}  // namespace

int main(int argc, char **argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 20;
  const int64_t column_budget = argc > 2 ? std::atoll(argv[2]) : 0;
  if (repeats < 1) {
    std::fprintf(stderr, "usage: %s [repeats >= 1]\n", argv[0]);
    return 2;
  }
  const char *clock = std::getenv("CONV_LAYERS_CLOCK");
  const bool cpu = clock && std::string(clock) == "cpu";
  if (cpu) bench_clock = CLOCK_PROCESS_CPUTIME_ID;
  const char *core = std::getenv("OPENBLAS_CORETYPE"),
             *threads = std::getenv("OPENBLAS_NUM_THREADS");
  std::printf(
      "conv layers, batch 128, best %s time of %d; OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s\n",
      cpu ? "CPU" : "wall", repeats, core ? core : "(auto)", threads ? threads : "(default)");
  std::printf(
      "%-26s %-16s | layer ms: fwd, wgrad, wgrad+dgrad | GEMM alone / layer: fwd, wgrad, "
      "dgrad, backward | fwd GEMM GFLOP/s\n",
      "layer", "M, N, K (fwd)");
  const ConvCase cases[] = {
      {"cnn conv1 1->16 3x3 28", 1, 16, 3, 1, 1, 28},
      {"cnn conv2 16->32 3x3 14", 16, 32, 3, 1, 1, 14},
      {"resnet stem 1->16 7x7/2", 1, 16, 7, 2, 3, 28},
      {"resnet l1 16->16 3x3 7", 16, 16, 3, 1, 1, 7},
      {"resnet l2 16->32 3x3/2 7", 16, 32, 3, 2, 1, 7},
      {"resnet l2 32->32 3x3 4", 32, 32, 3, 1, 1, 4},
      {"resnet l3 32->64 3x3/2 4", 32, 64, 3, 2, 1, 4},
      {"resnet l3 64->64 3x3 2", 64, 64, 3, 1, 1, 2},
      {"resnet l4 64->128 3x3/2 2", 64, 128, 3, 2, 1, 2},
      {"resnet l4 128->128 3x3 1", 128, 128, 3, 1, 1, 1},
      {"resnet l2 shortcut 1x1/2 7", 16, 32, 1, 2, 0, 7},
  };
  const char *only = std::getenv("CONV_LAYERS_ONLY");  // a part of the names to run, for perf
  for (const ConvCase &c : cases) {
    if (!only || std::string(c.name).find(only) != std::string::npos) {
      run_case(c, 128, repeats, column_budget);
    }
  }
  return 0;
}
