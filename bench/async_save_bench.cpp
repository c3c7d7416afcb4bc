// Asynchronous checkpoint saves against synchronous ones and against no saving, in one run
// through the public C API: the training stall per save, steps/s of a run saving every N
// steps, and the machine's memcpy bandwidth as the reference (an async save should stall
// training for about one copy of the state into the staging buffer: memory bandwidth, not
// disk). Never run as a test.
//
//   async_save_bench [DIR] [--hidden 2048] [--steps 60] [--every 10] [--no-fsync]
//
// Model: MLP 1024-H-H-1024 with ReLU, MSE, Adam (weights + exp_avg + exp_avg_sq: the file is
// about 3x the parameters), batch 32. The stall of a save is the time fit's thread spent in it
// (nnstate_save_stats.stall_seconds, read in every batch callback; median over the saves, and
// the first one apart since it also allocates the staging buffer); "step excess" is read from the
// batch callback -- the interval that contains a save minus the median interval of steps without
// one -- and adds what the background writer costs the training by competing for the CPU.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"
#include "nnstate/nnstate.h"

namespace {

using bench::now;
using bench::ok;

struct Settings {
  std::string dir = "/tmp";
  int64_t hidden = 2048;
  int64_t steps = 60;
  int64_t every = 10;
  bool fsync = true;
};

struct Timeline {
  nnstate_trainer *trainer = nullptr;
  std::vector<double> at;     // time of each batch callback
  std::vector<double> stall;  // the policy's stall_seconds then
};

int32_t on_batch(const nnstate_batch_info *, void *user_data) {
  auto *t = static_cast<Timeline *>(user_data);
  t->at.push_back(now());
  nnstate_save_stats s;
  s.struct_size = sizeof s;
  ok(nnstate_trainer_save_stats(t->trainer, &s), "stats");
  t->stall.push_back(s.stall_seconds);
  return 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Result {
  double steps_per_s = 0.0;
  double stall_ms = 0.0;        // median time fit's thread was blocked per save
  double first_stall_ms = 0.0;  // the first save's (it also allocates the staging buffer)
  double excess_ms = 0.0;       // median over the saves of the interval's excess
  double excess_max_ms = 0.0;
  double final_wait_ms = 0.0;  // fit's end: the last save finishing
  nnstate_save_stats stats{};
  uint64_t file_bytes = 0;
};

enum class Mode { none, sync, async };

Result run(const Settings &s, Mode mode, const std::vector<float> &x, const std::vector<float> &y) {
  const int64_t in = 1024, out = 1024, batch = 32;
  nnstate_network *net = nullptr;
  ok(nnstate_network_create(&net, 1), "network");
  ok(nnstate_network_add_linear(net, in, s.hidden, 1), "linear");
  ok(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  ok(nnstate_network_add_linear(net, s.hidden, s.hidden, 1), "linear");
  ok(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  ok(nnstate_network_add_linear(net, s.hidden, out, 1), "linear");
  ok(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE), "loss");
  nnstate_optimizer_options adam;
  ok(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  ok(nnstate_network_set_optimizer(net, &adam), "optimizer");
  nnstate_dataset *data = nullptr;
  const size_t samples = x.size() / in;
  ok(nnstate_dataset_create(&data, x.data(), x.size(), y.data(), y.size(), samples), "data");
  nnstate_trainer_options options;
  ok(nnstate_trainer_options_init(&options), "options");
  options.batch_size = batch;
  options.shuffle = 0;
  const int64_t per_epoch = static_cast<int64_t>(samples) / batch;
  options.epochs = (s.steps + per_epoch - 1) / per_epoch;
  nnstate_trainer *trainer = nullptr;
  ok(nnstate_trainer_create(&trainer, net, &options, nullptr, nullptr), "trainer");
  Timeline timeline;
  timeline.trainer = trainer;
  ok(nnstate_trainer_set_callbacks(trainer, nullptr, on_batch, &timeline), "callbacks");

  const std::string dir = s.dir + "/nnstate-async-bench-" + std::to_string(getpid()) + "-" +
                          std::to_string(static_cast<int>(mode));
  if (mode != Mode::none) {
    nnstate_checkpoint_policy policy;
    ok(nnstate_checkpoint_policy_init(&policy), "policy");
    policy.directory = dir.c_str();
    policy.every_epochs = 0;
    policy.every_steps = s.every;
    policy.on_stop = 0;
    policy.keep_last = 1;
    policy.keep_best = 0;
    policy.fsync = s.fsync ? 1 : 0;
    policy.async_save = mode == Mode::async ? 1 : 0;
    ok(nnstate_trainer_set_checkpointing(trainer, &policy), "checkpointing");
  }
  const double started = now();
  ok(nnstate_trainer_fit(trainer, data, nullptr, nullptr), "fit");
  const double ended = now();

  Result r;
  const size_t n = timeline.at.size();
  r.steps_per_s = static_cast<double>(n) / (ended - started);
  // Interval i runs from callback i-1 to callback i: step i's compute plus, when step i-1 was
  // a save step, that save's stall (the policy saves after the callback of its step).
  std::vector<double> plain, saving, stalls;
  for (size_t i = 2; i < n; ++i) {
    const double interval = timeline.at[i] - timeline.at[i - 1];
    const bool after_save = mode != Mode::none && static_cast<int64_t>(i) % s.every == 0;
    (after_save ? saving : plain).push_back(interval);
    if (after_save) stalls.push_back((timeline.stall[i] - timeline.stall[i - 1]) * 1e3);
  }
  r.stall_ms = median(stalls);
  r.first_stall_ms = stalls.empty() ? 0.0 : stalls.front();
  const double base = median(plain);
  for (double &v : saving) v = std::max(0.0, v - base) * 1e3;
  r.excess_ms = median(saving);
  r.excess_max_ms = saving.empty() ? 0.0 : *std::max_element(saving.begin(), saving.end());
  r.final_wait_ms = n > 0 ? (ended - timeline.at.back()) * 1e3 : 0.0;
  r.stats.struct_size = sizeof r.stats;
  ok(nnstate_trainer_save_stats(trainer, &r.stats), "stats");
  if (r.stats.completed > 0) r.file_bytes = r.stats.bytes_written / r.stats.completed;
  nnstate_trainer_free(trainer);
  nnstate_dataset_free(data);
  nnstate_network_free(net);
  if (mode != Mode::none) {
    const std::string command = "rm -rf '" + dir + "'";
    if (std::system(command.c_str()) != 0)
      std::fprintf(stderr, "could not remove %s\n", dir.c_str());
  }
  return r;
}

// Best of 5 copies of `bytes` between two pre-faulted buffers, in GB/s.
double memcpy_gbps(size_t bytes) {
  std::vector<unsigned char> a(bytes, 1), b(bytes, 2);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const double t = now();
    std::memcpy(b.data(), a.data(), bytes);
    best = std::min(best, now() - t);
    a[static_cast<size_t>(i)] = b[bytes - 1];  // keeps the copy observable
  }
  return static_cast<double>(bytes) / best / 1e9;
}

Settings parse(int argc, char **argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> int64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (a == "--hidden") {
      s.hidden = next();
    } else if (a == "--steps") {
      s.steps = next();
    } else if (a == "--every") {
      s.every = next();
    } else if (a == "--no-fsync") {
      s.fsync = false;
    } else if (!a.empty() && a[0] != '-') {
      s.dir = a;
    } else {
      std::fprintf(stderr,
                   "usage: async_save_bench [DIR] [--hidden H] [--steps N] [--every K] "
                   "[--no-fsync]\n");
      std::exit(2);
    }
  }
  if (s.hidden < 1 || s.steps < 4 || s.every < 2) {
    std::fprintf(stderr, "need --hidden >= 1, --steps >= 4, --every >= 2\n");
    std::exit(2);
  }
  return s;
}

}  // namespace

int main(int argc, char **argv) {
  const Settings s = parse(argc, argv);
  const char *core = std::getenv("OPENBLAS_CORETYPE");
  const char *threads = std::getenv("OPENBLAS_NUM_THREADS");
  std::printf(
      "async_save_bench: dir %s, MLP 1024-%lld-%lld-1024 + Adam, batch 32, %lld steps, "
      "save every %lld, fsync %s, OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s, %ld CPUs\n",
      s.dir.c_str(), static_cast<long long>(s.hidden), static_cast<long long>(s.hidden),
      static_cast<long long>(s.steps), static_cast<long long>(s.every), s.fsync ? "on" : "off",
      core ? core : "", threads ? threads : "", sysconf(_SC_NPROCESSORS_ONLN));
  // Enough distinct samples for the steps, generated once (the content does not matter).
  const size_t samples = static_cast<size_t>(std::min<int64_t>(s.steps, 64)) * 32;
  std::vector<float> x(samples * 1024), y(samples * 1024);
  uint32_t state = 12345;
  for (float &v : x)
    v = static_cast<float>((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f;
  for (float &v : y)
    v = static_cast<float>((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f;

  const Result none = run(s, Mode::none, x, y);
  const Result sync = run(s, Mode::sync, x, y);
  const Result async = run(s, Mode::async, x, y);
  const double state_mb = static_cast<double>(async.stats.staging_peak_bytes) / 1e6;
  const double bandwidth = memcpy_gbps(async.stats.staging_peak_bytes);
  const double copy_ms = state_mb / 1e3 / bandwidth * 1e3;

  std::printf("\ncheckpoint file %.1f MB, staged tensors (staging peak) %.1f MB\n",
              static_cast<double>(async.file_bytes) / 1e6, state_mb);
  std::printf("memcpy of the staged size: %.1f GB/s -> %.1f ms per copy (reference)\n", bandwidth,
              copy_ms);
  std::printf("\n%-10s %8s %11s %11s %12s %11s %9s %6s %7s %8s\n", "mode", "steps/s", "stall ms",
              "1st stall", "step excess", "excess max", "end wait", "saves", "waited", "skipped");
  const struct {
    const char *name;
    const Result *r;
  } rows[] = {{"no saving", &none}, {"sync", &sync}, {"async", &async}};
  for (const auto &row : rows) {
    std::printf(
        "%-10s %8.2f %11.1f %11.1f %12.1f %11.1f %9.1f %6lld %7lld %8lld\n", row.name,
        row.r->steps_per_s, row.r->stall_ms, row.r->first_stall_ms, row.r->excess_ms,
        row.r->excess_max_ms, row.r->final_wait_ms, static_cast<long long>(row.r->stats.completed),
        static_cast<long long>(row.r->stats.waited), static_cast<long long>(row.r->stats.skipped));
  }
  std::printf("\nasync stall / sync stall: %.3f (a %.0f%% cut of the blocking save time)\n",
              async.stall_ms / sync.stall_ms, 100.0 * (1.0 - async.stall_ms / sync.stall_ms));
  std::printf("async stall / one memcpy of the state: %.2f\n", async.stall_ms / copy_ms);
  std::printf("steps/s relative to no saving: sync %.3f, async %.3f\n",
              sync.steps_per_s / none.steps_per_s, async.steps_per_s / none.steps_per_s);
  std::printf(
      "RESULT async_save stall_sync_ms=%.1f stall_async_ms=%.1f memcpy_ms=%.1f "
      "steps_per_s_none=%.2f steps_per_s_sync=%.2f steps_per_s_async=%.2f\n",
      sync.stall_ms, async.stall_ms, copy_ms, none.steps_per_s, sync.steps_per_s,
      async.steps_per_s);
  return 0;
}
