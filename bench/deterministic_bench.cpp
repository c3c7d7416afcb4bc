// The deterministic-across-scale mode (nnstate_network_set_deterministic) against today's path,
// in one run: training samples/s of an MLP (784-512-256-10, Adam, batch 128) and a CNN with
// BatchNorm (conv 1->16 3x3, BatchNorm2d, ReLU, max-pool 2, conv 16->32 3x3, BatchNorm2d, ReLU,
// max-pool 2, Linear 1568->10, batch 128) at 1 and 2 threads, idle and under CPU contention (a
// child process that spins on one core for the whole measurement). Default path: OpenBLAS with
// 1 or 2 threads; deterministic mode: chunks of --chunk samples (default 32) on 1 or 2
// library threads with single-threaded BLAS. Prints each figure and the ratios
// deterministic / default at the same thread count, and contended / idle. Each figure is the
// best of `repeats` runs (the machine is shared: the best is the least disturbed).
//
// Usage: deterministic_bench [steps (default 60)] [chunk (default 32)] [repeats (default 1)]
//                            [workload: all (default), mlp or cnn]
#include <cblas.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

constexpr int kBatch = 128;

struct Workload {
  const char *name;
  int64_t inputs;
  nnstate_network *(*build)();
};

nnstate_network *finish(nnstate_network *net) {
  nnstate_optimizer_options adam;
  bench::ok(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  bench::ok(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  bench::ok(nnstate_network_set_optimizer(net, &adam), "optimizer");
  return net;
}

nnstate_network *build_mlp() {
  nnstate_network *net = nullptr;
  bench::ok(nnstate_network_create(&net, 1), "create");
  bench::ok(nnstate_network_add_linear(net, 784, 512, 1), "linear");
  bench::ok(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  bench::ok(nnstate_network_add_linear(net, 512, 256, 1), "linear");
  bench::ok(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  bench::ok(nnstate_network_add_linear(net, 256, 10, 1), "linear");
  return finish(net);
}

nnstate_network *build_cnn() {
  const char *doc =
      "{\"input_shape\": [1, 28, 28], \"nodes\": ["
      "{\"kind\": \"Conv2d\", \"in_channels\": 1, \"out_channels\": 16, \"kernel_size\": 3,"
      " \"padding\": 1},"
      "{\"kind\": \"BatchNorm2d\", \"num_features\": 16}, {\"kind\": \"ReLU\"},"
      "{\"kind\": \"MaxPool2d\", \"kernel_size\": 2},"
      "{\"kind\": \"Conv2d\", \"in_channels\": 16, \"out_channels\": 32, \"kernel_size\": 3,"
      " \"padding\": 1},"
      "{\"kind\": \"BatchNorm2d\", \"num_features\": 32}, {\"kind\": \"ReLU\"},"
      "{\"kind\": \"MaxPool2d\", \"kernel_size\": 2}, {\"kind\": \"Flatten\"},"
      "{\"kind\": \"Linear\", \"in_features\": 1568, \"out_features\": 10}]}";
  nnstate_network *net = nullptr;
  bench::ok(nnstate_network_create_from_json(&net, doc, 1), "create_from_json");
  return finish(net);
}

// Samples/s of `steps` timed training steps after 5 untimed ones.
double measure(const Workload &w, bool deterministic, int threads, int steps, int64_t chunk) {
  nnstate_network *net = w.build();
  openblas_set_num_threads(deterministic ? 1 : threads);
  if (deterministic) bench::ok(nnstate_network_set_deterministic(net, chunk, threads), "mode");
  std::vector<float> x(static_cast<size_t>(kBatch * w.inputs)), y(kBatch);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000;
  for (int i = 0; i < kBatch; ++i) y[i] = static_cast<float>(i % 10);
  float loss = 0.0f;
  auto step = [&] {
    bench::ok(
        nnstate_network_train_step(net, x.data(), x.size(), y.data(), y.size(), kBatch, &loss),
        "train_step");
  };
  for (int i = 0; i < 5; ++i) step();
  const double start = bench::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds = bench::now() - start;
  nnstate_network_free(net);
  return steps * kBatch / seconds;
}

pid_t start_spinner() {
  const pid_t pid = fork();
  if (pid == 0) {
    volatile unsigned long n = 0;
    for (;;) n = n + 1;
  }
  return pid;
}

void stop_spinner(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

int main(int argc, char **argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 60;
  const int64_t chunk = argc > 2 ? std::atoll(argv[2]) : 32;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 1;
  const std::string only = argc > 4 ? argv[4] : "all";
  if (steps < 1 || chunk < 1 || repeats < 1 || (only != "all" && only != "mlp" && only != "cnn")) {
    std::fprintf(stderr,
                 "usage: deterministic_bench [steps >= 1] [chunk >= 1] [repeats >= 1] "
                 "[all|mlp|cnn]\n");
    return 2;
  }
  auto best = [&](const Workload &w, bool deterministic, int threads) {
    double most = 0.0;
    for (int r = 0; r < repeats; ++r) {
      most = std::max(most, measure(w, deterministic, threads, steps, chunk));
    }
    return most;
  };
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 1) load[0] = -1;
  std::printf("OpenBLAS core %s, batch %d, chunk %lld, %d steps, best of %d, load average %.2f\n",
              openblas_get_corename(), kBatch, static_cast<long long>(chunk), steps, repeats,
              load[0]);
  const Workload workloads[] = {{"MLP 784-512-256-10", 784, build_mlp},
                                {"CNN with BatchNorm", 784, build_cnn}};
  for (const Workload &w : workloads) {
    if (only != "all" && (only == "mlp") != (w.build == build_mlp)) continue;
    std::printf("\n%s\n%-10s %7s %14s %14s %8s\n", w.name, "condition", "threads", "default/s",
                "determin./s", "ratio");
    double idle[2][2] = {};
    for (int contended = 0; contended < 2; ++contended) {
      const pid_t spinner = contended ? start_spinner() : 0;
      for (int threads = 1; threads <= 2; ++threads) {
        const double base = best(w, false, threads);
        const double det = best(w, true, threads);
        std::printf("%-10s %7d %14.0f %14.0f %8.2f", contended ? "contended" : "idle", threads,
                    base, det, det / base);
        if (contended) {
          std::printf("   (contended/idle: default %.2f, deterministic %.2f)",
                      base / idle[threads - 1][0], det / idle[threads - 1][1]);
        } else {
          idle[threads - 1][0] = base;
          idle[threads - 1][1] = det;
        }
        std::printf("\n");
        std::fflush(stdout);
      }
      if (contended) stop_spinner(spinner);
    }
  }
  return 0;
}
